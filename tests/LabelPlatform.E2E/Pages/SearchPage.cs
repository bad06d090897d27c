using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Search: query by an uploaded image or "more like this" from a stored one.</summary>
public sealed class SearchPage(IPage page)
{
    public ILocator Dataset => page.GetByLabel("Dataset");
    public ILocator Model => page.GetByLabel("Model");
    public ILocator Results => page.GetByLabel("Results");
    public ILocator QueryImage => page.GetByLabel("Query image");
    public ILocator SearchButton => page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true });
    public ILocator ResultItems => page.Locator("#result-grid .result");
    public ILocator Scores => page.Locator("#result-grid .score");

    public async Task GotoAsync() => await page.GotoAsync("/Search");

    public async Task SearchWithFileAsync(string path, string model, int k)
    {
        await Model.SelectOptionAsync(model);
        await Results.FillAsync(k.ToString());
        await QueryImage.SetInputFilesAsync(path);
        await SearchButton.ClickAsync();
        await Assertions.Expect(page.Locator("#results")).ToBeVisibleAsync();
    }

    public ILocator MoreLikeThis(int resultIndex) => ResultItems.Nth(resultIndex).GetByRole(AriaRole.Link, new() { Name = "more like this" });

    public async Task<List<float>> ScoreValuesAsync() =>
        [.. (await Scores.AllInnerTextsAsync()).Select(t => float.Parse(t, System.Globalization.CultureInfo.InvariantCulture))];
}
