using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Datasets/Browse/{datasetId}: the data browser's filter sidebar, its tiles (one checkbox each) and the bulk bar.</summary>
public sealed class BrowsePage(IPage page)
{
    public ILocator Tiles => page.Locator("li.browse-tile");
    public ILocator Count => page.Locator("#browse-count");
    public ILocator SelectedCount => page.Locator("#selected-count");
    public ILocator SelectAll => page.Locator("#select-all");
    public ILocator Flash => page.Locator(".flash");
    public ILocator Error => page.Locator("#browse-error");

    public async Task GotoAsync(int datasetId) => await page.GotoAsync($"/Datasets/Browse/{datasetId}");

    /// <summary>Picks a sidebar filter by its option's text and applies the form.</summary>
    public async Task FilterAsync(string field, string optionLabel)
    {
        await page.Locator($"#f-{field}").SelectOptionAsync(new SelectOptionValue { Label = optionLabel });
        await page.Locator("#apply").ClickAsync();
    }

    public ILocator Tile(long imageId) => page.Locator($"li.browse-tile[data-id=\"{imageId}\"]");

    public Task SelectAsync(long imageId) => Tile(imageId).Locator("input[data-tile]").CheckAsync();

    /// <summary>The ids of the tiles shown, in page order.</summary>
    public async Task<List<long>> IdsAsync() =>
        [.. (await Tiles.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.id)")).Select(long.Parse)];

    public async Task RelabelAsync(string className)
    {
        await page.Locator("#relabel-class").SelectOptionAsync(new SelectOptionValue { Label = className });
        await page.Locator("#relabel").ClickAsync();
    }
}
