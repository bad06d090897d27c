using LabelPlatform.Core.Data;
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
/// The shared image viewer in Chromium on the review desk and the image page: the wheel zooms about the cursor,
/// + and 0 zoom and fit, a drag moves a zoomed image, the full-screen button and key take the desk or the image;
/// on the desk none of it decides anything, and a single reject waits for a visible confirmation.
/// </summary>
public sealed class ImageViewerTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    [Fact]
    public Task The_review_desk_image_zooms_pans_and_goes_full_screen_without_deciding() => RunAsync(async () =>
    {
        var (datasetId, images) = await PrepareQueueAsync("rv-zoom", ["accordion", "airplanes", "barrel"]);
        await SignInReviewerAsync();
        var queue = new ReviewQueuePage(Page);
        await queue.GotoAsync(datasetId);
        await queue.WaitForImageAsync(images[0]);
        var viewer = queue.Viewer;
        await viewer.WaitLoadedAsync();
        await viewer.ExpectZoomAsync("1.00");

        await viewer.WheelAsync(-100);
        await viewer.ExpectZoomAsync("1.25");
        var zoomed = await viewer.TransformAsync();
        Assert.Equal(1.25, zoomed.Scale, 3);

        await viewer.DragAsync(60, 40);
        var dragged = await viewer.TransformAsync();
        Assert.Equal(1.25, dragged.Scale, 3);
        Assert.Equal(zoomed.X + 60, dragged.X, 0);
        Assert.Equal(zoomed.Y + 40, dragged.Y, 0);

        // Keys outside the filter: + zooms in, 0 fits; the toolbar's buttons too.
        await queue.PressAsync("+");
        await viewer.ExpectZoomAsync("1.56");
        await queue.PressAsync("0");
        await viewer.ExpectZoomAsync("1.00");
        Assert.Equal((0d, 0d, 1d), await viewer.TransformAsync());
        await viewer.Button("zoom-in").ClickAsync();
        await viewer.ExpectZoomAsync("1.25");

        // Full screen takes the whole desk (the classes stay beside the image); Alt+F leaves it.
        await viewer.FullscreenButton.ClickAsync();
        await Expect(viewer.FullscreenButton).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.Equal("desk", await viewer.FullscreenElementIdAsync());
        await queue.PressAsync("Alt+f");
        await Expect(viewer.FullscreenButton).ToHaveAttributeAsync("aria-pressed", "false");
        Assert.Null(await viewer.FullscreenElementIdAsync());

        // A new image on the desk starts fitted; nothing was decided by any of it.
        await queue.PressAsync("ArrowRight");
        await queue.WaitForImageAsync(images[1]);
        await viewer.ExpectZoomAsync("1.00");
        Assert.Equal(0, await FinalCountAsync(datasetId));
        await Expect(queue.Status).ToHaveAttributeAsync("data-decided", "0");
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task A_single_reject_waits_for_a_confirmation_and_the_list_asks_once() => RunAsync(async () =>
    {
        var (datasetId, images) = await PrepareQueueAsync("rv-conf", ["anchor", "ant", "bass"]);
        await SignInReviewerAsync();
        var queue = new ReviewQueuePage(Page);
        var dialogs = new List<string>();
        var accept = false;
        Page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            if (accept) { await dialog.AcceptAsync(); } else { await dialog.DismissAsync(); }
        };
        await queue.GotoAsync(datasetId);
        await queue.WaitForImageAsync(images[0]);

        // Delete asks, visibly; Escape cancels and decides nothing.
        await queue.PressAsync("Delete");
        await Expect(queue.RejectConfirm).ToBeVisibleAsync();
        await Expect(queue.RejectConfirm).ToContainTextAsync($"Reject image {images[0]}");
        await queue.PressAsync("Escape");
        await Expect(queue.RejectConfirm).ToBeHiddenAsync();
        Assert.Equal(0, await FinalCountAsync(datasetId));

        // Any other key cancels too, and only cancels: a digit does not pick a class meanwhile.
        await queue.PressAsync("Delete");
        await queue.PressAsync("1");
        await Expect(queue.RejectConfirm).ToBeHiddenAsync();
        await queue.WaitForImageAsync(images[0]);
        Assert.Equal(0, await FinalCountAsync(datasetId));

        // The button asks the same; Enter answers it (the keyboard user's yes).
        await queue.DeskReject.ClickAsync();
        await Expect(queue.RejectConfirm).ToBeVisibleAsync();
        await queue.PressAsync("Enter");
        await queue.WaitForImageAsync(images[1]);
        await queue.WaitUntilSavedAsync(1);
        await Expect(queue.RejectConfirm).ToBeHiddenAsync();

        // Delete twice still rejects (the confirm step is the second press); the mouse can answer with the bar's button.
        await queue.PressAsync("Delete");
        await queue.RejectConfirmYes.ClickAsync();
        await queue.WaitForImageAsync(images[2]);
        await queue.WaitUntilSavedAsync(2);
        Assert.Empty(dialogs);

        // The list's own reject button (the no-script form) asks once, in a dialog: dismissed, nothing happens.
        await queue.RowReject(images[4]).ClickAsync();
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var asked = Assert.Single(dialogs);
        Assert.Contains($"Reject image {images[4]}", asked, StringComparison.Ordinal);
        Assert.Equal(2, await FinalCountAsync(datasetId));
        accept = true;
        await queue.RowReject(images[4]).ClickAsync();
        await Expect(queue.Item(images[4])).ToHaveCountAsync(0);
        Assert.Equal(2, dialogs.Count);

        using var scope = Server.Services.CreateScope();
        var finals = await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().FinalLabels.Where(f => f.DatasetId == datasetId).ToDictionaryAsync(f => f.ImageId);
        Assert.Equal(3, finals.Count);
        Assert.True(finals[images[0]].Rejected && finals[images[1]].Rejected && finals[images[4]].Rejected);
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task The_image_page_zooms_pans_and_goes_full_screen() => RunAsync(async () =>
    {
        var (_, images) = await PrepareQueueAsync("img-zoom", ["beaver", "binocular", "bonsai"]);
        await SignInReviewerAsync();
        var details = new ImageDetailsPage(Page);
        await details.GotoAsync(images[0]);
        var viewer = details.Viewer;
        await viewer.WaitLoadedAsync();
        await Expect(viewer.Button("zoom-in")).ToBeVisibleAsync();

        await viewer.WheelAsync(-100);
        await viewer.WheelAsync(-100);
        await viewer.ExpectZoomAsync("1.56");
        var zoomed = await viewer.TransformAsync();
        Assert.Equal(1.5625, zoomed.Scale, 3);
        await viewer.DragAsync(-50, 30);
        var dragged = await viewer.TransformAsync();
        Assert.Equal(zoomed.X - 50, dragged.X, 0);
        Assert.Equal(zoomed.Y + 30, dragged.Y, 0);
        await viewer.WheelAsync(100);
        await viewer.ExpectZoomAsync("1.25");
        await Page.Keyboard.PressAsync("-");
        await viewer.ExpectZoomAsync("1.00");
        await Page.Keyboard.PressAsync("+");
        await viewer.ExpectZoomAsync("1.25");
        await Page.Keyboard.PressAsync("0");
        await viewer.ExpectZoomAsync("1.00");

        // No letter types on this page, so F alone toggles full screen (the image's frame).
        await Page.Keyboard.PressAsync("f");
        await Expect(viewer.FullscreenButton).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.Equal("image-viewer", await viewer.FullscreenElementIdAsync());
        await ScreenshotAsync("image-page-full-screen");
        await viewer.FullscreenButton.ClickAsync();
        await Expect(viewer.FullscreenButton).ToHaveAttributeAsync("aria-pressed", "false");
        Assert.Empty(PageErrors);
    });

    private async Task SignInReviewerAsync()
    {
        var reviewer = $"iv-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        await Server.CreateUserAsync(reviewer, Roles.Reviewer);
        await Page.SetViewportSizeAsync(1280, 800);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(reviewer, PlatformFactory.UserPassword);
    }

    private async Task<int> FinalCountAsync(int datasetId)
    {
        using var scope = Server.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().FinalLabels.CountAsync(f => f.DatasetId == datasetId);
    }

    /// <summary>
    /// Three Caltech classes of six images; overlap 4, and four labellers vote the first class twice and the others once on
    /// five images: no consensus (2 of 4), so five in the "no consensus" queue. Client ids per dataset: a repeated one
    /// is a retry and saves nothing.
    /// </summary>
    private async Task<(int DatasetId, List<long> Images)> PrepareQueueAsync(string prefix, string[] classes)
    {
        var (datasetId, _) = await Server.ImportCaltechAsync(prefix, classes, 6);
        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var classIds = await db.ImageClasses.Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Name, c => c.Id);
        var images = await db.Images.Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id).Select(i => i.Id).Take(5).ToListAsync();
        await Server.Services.GetRequiredService<LabellingSettingsService>().SaveSettingsAsync(datasetId, 4, 120, null, "e2e");
        var labelling = Server.Services.GetRequiredService<LabelSubmissions>();
        foreach (var (user, name) in new[] { ("v1", classes[0]), ("v2", classes[0]), ("v3", classes[1]), ("v4", classes[2]) })
        {
            await labelling.SubmitAsync(new SubmitRequest(datasetId, user, $"seed-{user}-{datasetId}", "single", [.. images.Select(id => new LabelItem(id, LabelEventKind.Label, classIds[name]))]));
        }

        return (datasetId, images);
    }
}
