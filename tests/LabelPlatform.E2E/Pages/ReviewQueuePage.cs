using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>
/// /Review/Queue/{datasetId}: the keyboard desk (one image, its votes, classes and nearest images, driven by
/// review/main.js) above the page's list of images to decide, one form each.
/// </summary>
public sealed class ReviewQueuePage(IPage page)
{
    public ILocator Items => page.Locator(".review-item");
    public ILocator Count => page.Locator("#queue-count");
    public ILocator Empty => page.Locator("#queue-empty");
    public ILocator Flash => page.Locator(".flash");
    public ILocator Pager => page.Locator("#queue-pager");

    /// <summary>The desk; its data-image-id is the image shown, data-state that image's decision state.</summary>
    public ILocator Desk => page.Locator("#desk");
    public ILocator DeskImage => page.Locator("#desk-image");
    public ILocator Filter => page.Locator("#desk-filter");
    public ILocator Classes => page.Locator("#desk-classes li[data-class-id]");
    public ILocator Majority => page.Locator("#desk-majority");
    public ILocator Status => page.Locator("#desk-status");
    public ILocator Log => page.Locator("#desk-log li");
    public ILocator Neighbours => page.Locator("#desk-neighbours .neighbour");
    public ILocator BulkAccept => page.Locator("#bulk-accept");

    /// <summary>The desk's image viewer: data-zoom on the viewport, the toolbar's buttons by data-viewer.</summary>
    public ImageViewer Viewer => new(page, "#desk-viewport", "#desk-image", "#desk-tools");

    /// <summary>The bar a single reject waits on (Delete or Enter rejects, Esc cancels).</summary>
    public ILocator RejectConfirm => page.Locator("#desk-confirm");
    public ILocator RejectConfirmYes => RejectConfirm.Locator("[data-confirm-yes]");
    public ILocator DeskReject => page.Locator("button[data-desk=reject]");

    /// <summary>The list row's no-script reject button.</summary>
    public ILocator RowReject(long imageId) => Item(imageId).Locator("button[name=\"Input.Reject\"]");

    public async Task GotoAsync(int datasetId, string queue = "consensus") => await page.GotoAsync($"/Review/Queue/{datasetId}?queue={queue}");

    public ILocator Item(long imageId) => page.Locator($".review-item[data-image-id=\"{imageId}\"]");

    /// <summary>The one-click button for a class the labellers voted for.</summary>
    public ILocator Quick(long imageId, string className) => Item(imageId).Locator($"button.quick[data-class=\"{className}\"]");

    /// <summary>The list's checkbox that selects an image for a bulk accept.</summary>
    public ILocator BulkBox(long imageId) => page.Locator($"input[data-bulk=\"{imageId}\"]");

    public Task PressAsync(string key) => page.Keyboard.PressAsync(key);

    public Task TypeAsync(string text) => page.Keyboard.TypeAsync(text);

    /// <summary>Waits until the desk shows this image.</summary>
    public Task WaitForImageAsync(long imageId) => Assertions.Expect(Desk).ToHaveAttributeAsync("data-image-id", imageId.ToString());

    /// <summary>Waits until the server has confirmed this many decisions made on the page.</summary>
    public Task WaitUntilSavedAsync(int saved) => Assertions.Expect(Status).ToHaveAttributeAsync("data-saved", saved.ToString());
}
