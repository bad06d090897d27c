using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>
/// Keyboard review in Chromium: images decided with Enter (the majority), a digit (a listed class) and Delete twice
/// (reject), Backspace back to the previous one, and two majorities accepted in bulk, all on one page load; letters
/// typed on every image only filter the classes and never decide.
/// </summary>
public sealed class ReviewKeyboardTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private static readonly string[] ClassNames = ["accordion", "airplanes", "barrel"];

    [Fact]
    public Task A_reviewer_decides_images_by_keyboard_without_a_page_load_and_letters_never_decide() => RunAsync(async () =>
    {
        var (datasetId, classIds, images) = await PrepareAsync();
        var reviewer = $"rk-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        await Server.CreateUserAsync(reviewer, Roles.Reviewer);
        await Page.SetViewportSizeAsync(1280, 800);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(reviewer, PlatformFactory.UserPassword);

        var queue = new ReviewQueuePage(Page);
        await queue.GotoAsync(datasetId);
        var url = Page.Url;
        var navigations = 0;
        Page.FrameNavigated += (_, frame) => navigations += frame == Page.MainFrame ? 1 : 0;
        await Expect(queue.Desk).ToBeVisibleAsync();
        await queue.WaitForImageAsync(images[0]);
        await Expect(queue.Neighbours).ToHaveCountAsync(8);
        await Expect(queue.Majority).ToHaveAttributeAsync("data-class-id", classIds["accordion"].ToString());
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts.ScreenshotDirectory, "review-desk-1280x800.png") });
        await ScreenshotAsync("review-desk");

        // The old labelling keys (a accept, n noise, s skip, u undo, x reject, e expand) and a class prefix: typed only.
        await queue.TypeAsync("anxsue");
        await Expect(queue.Filter).ToHaveValueAsync("anxsue");
        await queue.PressAsync("Escape");
        await queue.TypeAsync("ba");
        await Expect(queue.Classes).ToHaveCountAsync(1);
        await Expect(queue.Classes.First).ToHaveAttributeAsync("data-class-name", "barrel");
        await queue.PressAsync("Escape");
        await Expect(queue.Filter).ToHaveValueAsync("");
        Assert.Equal(0, await FinalCountAsync(datasetId));
        await queue.WaitForImageAsync(images[0]);

        // 1. Enter accepts the majority (accordion, 2 of 4 votes).
        await queue.PressAsync("Enter");
        await queue.WaitForImageAsync(images[1]);
        await queue.WaitUntilSavedAsync(1);

        // 2. Letters again, then the second listed class by its digit.
        await queue.TypeAsync("sun");
        await Expect(queue.Classes).ToHaveCountAsync(0);
        await queue.PressAsync("Escape");
        var second = await queue.Classes.Nth(1).GetAttributeAsync("data-class-name");
        await queue.PressAsync("2");
        await queue.WaitForImageAsync(images[2]);
        await queue.WaitUntilSavedAsync(2);

        // 3. Delete arms the reject (nothing decided yet); Delete again rejects.
        await queue.PressAsync("Delete");
        await Expect(queue.Desk).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("reject-armed"));
        Assert.Equal(2, await FinalCountAsync(datasetId));
        await queue.PressAsync("Delete");
        await queue.WaitForImageAsync(images[3]);
        await queue.WaitUntilSavedAsync(3);

        // Backspace: back to the image decided before, which shows its decision.
        await queue.PressAsync("Backspace");
        await queue.WaitForImageAsync(images[2]);
        await Expect(queue.Desk).ToHaveAttributeAsync("data-state", "saved");

        // Bulk: the last two images' majorities in one action.
        await queue.BulkBox(images[3]).CheckAsync();
        await queue.BulkBox(images[4]).CheckAsync();
        await Expect(queue.BulkAccept).ToHaveAttributeAsync("data-count", "2");
        await queue.BulkAccept.ClickAsync();
        await queue.WaitUntilSavedAsync(5);
        await Expect(queue.Item(images[4])).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("decided"));
        await ScreenshotAsync("review-desk-decided");

        Assert.Equal(url, Page.Url);
        Assert.Equal(0, navigations);
        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var finals = await db.FinalLabels.Where(f => f.DatasetId == datasetId).ToDictionaryAsync(f => f.ImageId);
        Assert.Equal(5, finals.Count);
        Assert.Equal(classIds["accordion"], finals[images[0]].ClassId);
        Assert.Equal(classIds[second!], finals[images[1]].ClassId);
        Assert.True(finals[images[2]].Rejected);
        Assert.Equal((classIds["accordion"], classIds["accordion"]), (finals[images[3]].ClassId, finals[images[4]].ClassId));
        // One review event per decision and nothing else: no letter ever labelled, skipped, undid or rejected.
        var events = await db.LabelEvents.Where(e => e.DatasetId == datasetId && e.Source == "review").ToListAsync();
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Equal(LabelEventKind.Review, e.Kind));
        Assert.Empty(PageErrors);
    });

    private async Task<int> FinalCountAsync(int datasetId)
    {
        using var scope = Server.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().FinalLabels.CountAsync(f => f.DatasetId == datasetId);
    }

    /// <summary>
    /// Three Caltech classes of six images, embedded; overlap 4, and four labellers vote accordion, accordion,
    /// airplanes, barrel on five of them: no consensus (2 of 4), accordion ahead. Returns those five, in queue order.
    /// </summary>
    private async Task<(int DatasetId, Dictionary<string, int> ClassIds, List<long> Images)> PrepareAsync()
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("review", ClassNames, 6);
        await Server.EmbedAsync(datasetId, ModelRegistry.MobileNetV2);
        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var classIds = await db.ImageClasses.Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Name, c => c.Id);
        var images = await db.Images.Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id).Select(i => i.Id).Take(5).ToListAsync();
        var labelling = Server.Services.GetRequiredService<LabelSubmissions>();
        await Server.Services.GetRequiredService<LabellingSettingsService>().SaveSettingsAsync(datasetId, 4, 120, null, "e2e");
        foreach (var (user, name) in new[] { ("v1", "accordion"), ("v2", "accordion"), ("v3", "airplanes"), ("v4", "barrel") })
        {
            await labelling.SubmitAsync(new SubmitRequest(datasetId, user, $"seed-{user}", "single", [.. images.Select(id => new LabelItem(id, LabelEventKind.Label, classIds[name]))]));
        }

        return (datasetId, classIds, images);
    }
}
