using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Label/Grid/{datasetId}: thumbnails, select many, assign one class.</summary>
public sealed class LabelGridPage(IPage page)
{
    public ILocator Tiles => page.Locator("#tiles .tile");
    public ILocator Selected => page.Locator("#grid-selected");
    public ILocator Status => page.Locator("#bench-status");

    public async Task GotoAsync(int datasetId, int count) => await page.GotoAsync($"/Label/Grid/{datasetId}?count={count}");

    /// <summary>Tiles whose image came from this import folder (the tile's title is its origin).</summary>
    public ILocator TilesOf(string folder) => page.Locator($"#tiles .tile[title^=\"{folder}/\"]");

    public ILocator Tile(long imageId) => page.Locator($"#tiles .tile[data-image-id=\"{imageId}\"]");

    public async Task<List<long>> TileIdsAsync() =>
        [.. (await Tiles.EvaluateAllAsync<string[]>("ts => ts.map(t => t.dataset.imageId)")).Select(long.Parse)];

    /// <summary>Assigns a class to the selection with the keyboard: type (letters go to the filter), Enter.</summary>
    public async Task AssignAsync(string className)
    {
        await page.Keyboard.TypeAsync(className);
        await page.Keyboard.PressAsync("Enter");
    }

    public async Task WaitUntilSavedAsync(int saved)
    {
        await Assertions.Expect(Status).ToHaveAttributeAsync("data-pending", "0");
        await Assertions.Expect(Status).ToHaveAttributeAsync("data-saved", saved.ToString());
    }
}
