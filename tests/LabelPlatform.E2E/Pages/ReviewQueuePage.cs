using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Review/Queue/{datasetId}: images to decide, one form each.</summary>
public sealed class ReviewQueuePage(IPage page)
{
    public ILocator Items => page.Locator(".review-item");
    public ILocator Count => page.Locator("#queue-count");
    public ILocator Empty => page.Locator("#queue-empty");
    public ILocator Flash => page.Locator(".flash");

    public async Task GotoAsync(int datasetId, string queue = "consensus") => await page.GotoAsync($"/Review/Queue/{datasetId}?queue={queue}");

    public ILocator Item(long imageId) => page.Locator($".review-item[data-image-id=\"{imageId}\"]");

    /// <summary>The one-click button for a class the labellers voted for.</summary>
    public ILocator Quick(long imageId, string className) => Item(imageId).Locator($"button.quick[data-class=\"{className}\"]");
}
