using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>
/// The shared zoom/pan/full-screen viewer (wwwroot/js/viewer/zoom.js) on a page: its viewport (data-zoom), its
/// image (a CSS transform) and its toolbar.
/// </summary>
public sealed partial class ImageViewer(IPage page, string viewport, string image, string toolbar)
{
    public ILocator Viewport => page.Locator(viewport);
    public ILocator Image => page.Locator(image);
    public ILocator Button(string action) => page.Locator($"{toolbar} button[data-viewer={action}]");
    public ILocator FullscreenButton => Button("fullscreen");

    public Task ExpectZoomAsync(string zoom) => Assertions.Expect(Viewport).ToHaveAttributeAsync("data-zoom", zoom);

    /// <summary>Waits until the image has loaded (a zero-size image cannot be hovered or dragged).</summary>
    public Task WaitLoadedAsync() => Assertions.Expect(Image).ToHaveJSPropertyAsync("complete", true);

    /// <summary>The mouse wheel over the image's centre; negative deltaY zooms in.</summary>
    public async Task WheelAsync(float deltaY)
    {
        var box = await Image.BoundingBoxAsync() ?? throw new InvalidOperationException("the image has no box");
        await page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await page.Mouse.WheelAsync(0, deltaY);
    }

    /// <summary>A left-button drag from the viewport's centre by (dx, dy).</summary>
    public async Task DragAsync(float dx, float dy)
    {
        var box = await Viewport.BoundingBoxAsync() ?? throw new InvalidOperationException("the viewport has no box");
        var (x, y) = (box.X + box.Width / 2, box.Y + box.Height / 2);
        await page.Mouse.MoveAsync(x, y);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(x + dx / 2, y + dy / 2);
        await page.Mouse.MoveAsync(x + dx, y + dy);
        await page.Mouse.UpAsync();
    }

    /// <summary>The image's transform as (translate x, translate y, scale); (0, 0, 1) when it has none.</summary>
    public async Task<(double X, double Y, double Scale)> TransformAsync()
    {
        var style = await Image.EvaluateAsync<string>("i => i.style.transform");
        if (string.IsNullOrEmpty(style))
        {
            return (0, 0, 1);
        }

        var m = TransformPattern().Match(style);
        if (!m.Success)
        {
            throw new InvalidOperationException($"unexpected transform '{style}'");
        }

        double Read(int group) => double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
        return (Read(1), Read(2), Read(3));
    }

    /// <summary>The id of the element in full screen, or null.</summary>
    public Task<string?> FullscreenElementIdAsync() => page.EvaluateAsync<string?>("() => document.fullscreenElement?.id ?? null");

    [GeneratedRegex(@"translate\((-?[\d.e-]+)px, (-?[\d.e-]+)px\) scale\(([\d.]+)\)")]
    private static partial Regex TransformPattern();
}
