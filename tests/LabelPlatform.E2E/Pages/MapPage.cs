using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Datasets/Map/{datasetId}: the embedding map (canvas drawn by wwwroot/js/map), its selection and labelling.</summary>
public sealed class MapPage(IPage page)
{
    /// <summary>The margin (CSS px) geometry.js's fitSquare leaves around the map's square, and the map's extent in units.</summary>
    public const double Margin = 12, Extent = 10_000;

    public ILocator Canvas => page.Locator("#map-canvas");

    /// <summary>Set once the points are drawn.</summary>
    public ILocator Ready => page.Locator("#map-canvas[data-ready=true]");
    public ILocator Compute => page.Locator("#map-compute");
    public ILocator Run => page.Locator("#map-run");
    public ILocator Info => page.Locator("#map-info");
    public ILocator Tooltip => page.Locator("#map-tooltip");
    public ILocator Legend => page.Locator("#map-legend li");
    public ILocator Selection => page.Locator("#map-selection");
    public ILocator SelectedCount => page.Locator("#map-selected-count");
    public ILocator GridImages => page.Locator("#map-grid a");
    public ILocator ClassSelect => page.Locator("#map-class");
    public ILocator LabelButton => page.Locator("#map-label");
    public ILocator Result => page.Locator("#map-result");
    public ILocator Colour => page.Locator("#map-colour");

    public async Task GotoAsync(int datasetId, int modelId) => await page.GotoAsync($"/Datasets/Map/{datasetId}?model={modelId}");

    /// <summary>Where a point in map units is drawn, in page pixels.</summary>
    public async Task<(double X, double Y)> ToPageAsync(double x, double y)
    {
        var box = await Canvas.BoundingBoxAsync() ?? throw new InvalidOperationException("the map canvas is not on screen");
        var size = Math.Min(box.Width, box.Height);
        var scale = (size - 2 * Margin) / Extent;
        var offset = (size - Extent * scale) / 2;
        return (box.X + offset + x * scale, box.Y + offset + y * scale);
    }

    /// <summary>Drags a closed loop through the given page points with the mouse (the lasso).</summary>
    public async Task LassoAsync(IReadOnlyList<(double X, double Y)> loop)
    {
        await page.Mouse.MoveAsync((float)loop[0].X, (float)loop[0].Y);
        await page.Mouse.DownAsync();
        foreach (var (x, y) in loop.Skip(1).Append(loop[0]))
        {
            await page.Mouse.MoveAsync((float)x, (float)y, new() { Steps = 4 });
        }

        await page.Mouse.UpAsync();
    }

    public async Task LabelSelectionAsync(string className)
    {
        await ClassSelect.SelectOptionAsync(new SelectOptionValue { Label = className });
        await LabelButton.ClickAsync();
    }
}
