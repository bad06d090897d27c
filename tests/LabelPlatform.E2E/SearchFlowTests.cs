using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Identity;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>A labeller searches by an uploaded image and follows "more like this", in Chromium.</summary>
public sealed class SearchFlowTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    [Fact]
    public Task Labeller_searches_by_image_and_follows_more_like_this() => RunAsync(async () =>
    {
        var query = await PrepareEmbeddedDatasetAsync();
        var email = $"searcher-{Guid.NewGuid():N}@e2e.local";
        await Server.CreateUserAsync(email, Roles.Labeller);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(email, PlatformFactory.UserPassword);
        var search = new SearchPage(Page);
        await search.GotoAsync();

        await search.SearchWithFileAsync(query, ModelRegistry.MobileNetV2, 6);

        await Expect(search.ResultItems).ToHaveCountAsync(6);
        var scores = await search.ScoreValuesAsync();
        Assert.True(scores[0] >= 0.999f, $"the query's own stored copy should come first, got {scores[0]}");
        Assert.Equal(scores.OrderDescending(), scores);
        await Expect(search.ResultItems.First).ToContainTextAsync("Faces");
        Assert.True(await Page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#result-grid img')].every(i => i.complete && i.naturalWidth > 0)"));
        await ScreenshotAsync("search-upload");

        await search.MoreLikeThis(1).ClickAsync();

        await Expect(Page.Locator("#results h2")).ToContainTextAsync("Images like image");
        await Expect(search.ResultItems).ToHaveCountAsync(6);
        Assert.Empty(PageErrors);
        await ScreenshotAsync("search-more-like-this");
    });

    /// <summary>A dataset of three Caltech classes embedded with MobileNetV2; returns a query file from it.</summary>
    private async Task<string> PrepareEmbeddedDatasetAsync()
    {
        var (datasetId, folder) = await Server.ImportCaltechAsync("search", ["Faces", "accordion", "anchor"], 6);
        await Server.EmbedAsync(datasetId, ModelRegistry.MobileNetV2);
        return Path.Combine(folder, "Faces", Directory.GetFiles(Path.Combine(folder, "Faces")).Select(Path.GetFileName).Order(StringComparer.Ordinal).First()!);
    }
}
