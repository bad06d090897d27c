using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Identity;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>
/// Search uploads in Chromium without the file dialog: a JPEG dropped on the drop zone or pasted (Ctrl+V) starts
/// the search, and the results show the query image beside them; a file that is not an image gets a message and is
/// not sent; "more like this" shows the stored query image.
/// </summary>
public sealed class SearchDropTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    [Fact]
    public Task A_dropped_image_and_a_pasted_image_each_search_and_show_the_query_image() => RunAsync(async () =>
    {
        var (search, query) = await PrepareAsync("drop");
        var bytes = await File.ReadAllBytesAsync(query);
        var searchUrl = Page.Url;

        await search.DropFileAsync(bytes, "dropped.jpg", "image/jpeg");
        await ExpectUploadResultsAsync(search, "dropped.jpg");
        await ScreenshotAsync("search-dropped");

        await Page.GotoAsync(searchUrl);
        await search.Model.SelectOptionAsync(ModelRegistry.MobileNetV2);
        await search.PasteFileAsync(bytes, "image.jpg", "image/jpeg");
        await ExpectUploadResultsAsync(search, "image.jpg");

        // More like this: the stored image is the query shown.
        var first = await search.ResultItems.Nth(1).GetAttributeAsync("data-image-id");
        await search.MoreLikeThis(1).ClickAsync();
        await Expect(search.QueryPreview).ToHaveAttributeAsync("data-image-id", first!);
        await Expect(search.QueryPreview).ToHaveAttributeAsync("src", $"/images/{first}/thumb");
        await Expect(search.QueryPreview).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await search.QueryPreview.EvaluateAsync<int>("i => i.naturalWidth") > 0);
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task A_file_that_is_not_an_image_gets_a_message_and_is_not_sent() => RunAsync(async () =>
    {
        var (search, _) = await PrepareAsync("droptxt");
        var url = Page.Url;
        var posts = 0;
        Page.Request += (_, request) => posts += request.Method == "POST" ? 1 : 0;

        await search.DropFileAsync("just some notes\n"u8.ToArray(), "notes.txt", "text/plain");
        await Expect(search.DropError).ToContainTextAsync("notes.txt is not an image");
        await Expect(search.DropZone).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("refused"));

        await search.PasteFileAsync("%PDF-1.4\n"u8.ToArray(), "paper.pdf", "application/pdf");
        await Expect(search.DropError).ToContainTextAsync("paper.pdf is not an image");

        await Expect(Page.Locator("#results")).ToHaveCountAsync(0);
        Assert.Equal(url, Page.Url);
        Assert.Equal(0, posts);
        Assert.Empty(PageErrors);
    });

    private async Task ExpectUploadResultsAsync(SearchPage search, string fileName)
    {
        await Expect(Page.Locator("#results h2")).ToContainTextAsync("Images like the uploaded file");
        await Expect(search.ResultItems).ToHaveCountAsync(6);
        var scores = await search.ScoreValuesAsync();
        Assert.True(scores[0] >= 0.999f, $"the query's own stored copy should come first, got {scores[0]}");
        await Expect(search.QueryPreview).ToBeVisibleAsync();
        await Expect(search.QueryPreview).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/jpeg;base64,"));
        Assert.True(await search.QueryPreview.EvaluateAsync<bool>("i => i.complete && i.naturalWidth > 0"));
        await Expect(Page.Locator("#query-pane")).ToContainTextAsync(fileName);
    }

    /// <summary>Three Caltech classes embedded with MobileNetV2, a labeller signed in on the search page (6 results).</summary>
    private async Task<(SearchPage Search, string Query)> PrepareAsync(string prefix)
    {
        var (datasetId, folder) = await Server.ImportCaltechAsync(prefix, ["Faces", "accordion", "anchor"], 6);
        await Server.EmbedAsync(datasetId, ModelRegistry.MobileNetV2);
        var email = $"{prefix}-{Guid.NewGuid():N}@e2e.local";
        await Server.CreateUserAsync(email, Roles.Labeller);
        await Page.SetViewportSizeAsync(1280, 800);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(email, PlatformFactory.UserPassword);
        var search = new SearchPage(Page);
        await Page.GotoAsync($"/Search?DatasetId={datasetId}&K=6");
        await search.Model.SelectOptionAsync(ModelRegistry.MobileNetV2);
        var faces = Path.Combine(folder, "Faces");
        return (search, Directory.GetFiles(faces).Order(StringComparer.Ordinal).First());
    }
}
