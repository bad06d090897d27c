using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Images/Details/{id}: one image with its facts and label history; the image zooms, pans and goes full screen.</summary>
public sealed class ImageDetailsPage(IPage page)
{
    public ImageViewer Viewer => new(page, "#image-viewport", "#full-image", "#image-tools");

    public async Task GotoAsync(long imageId) => await page.GotoAsync($"/Images/Details/{imageId}");
}
