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

    /// <summary>The query image shown beside the results (the upload's thumbnail, or the stored image).</summary>
    public ILocator QueryPreview => page.Locator("#query-pane #query-image");
    public ILocator DropZone => page.Locator("#drop-zone");
    public ILocator DropError => page.Locator("#drop-error");

    /// <summary>
    /// Drops a file on the drop zone as a browser would: a drop event whose DataTransfer holds a File of these bytes.
    /// </summary>
    public Task DropFileAsync(byte[] bytes, string name, string type) =>
        page.EvaluateAsync(@"([b64, name, type]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], name, { type }));
            const zone = document.getElementById('drop-zone');
            for (const kind of ['dragenter', 'dragover']) zone.dispatchEvent(new DragEvent(kind, { dataTransfer: data, bubbles: true, cancelable: true }));
            zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
        }", new object[] { Convert.ToBase64String(bytes), name, type });

    /// <summary>Pastes a file on the page (Ctrl+V of a copied image): a paste event whose clipboardData holds it.</summary>
    public Task PasteFileAsync(byte[] bytes, string name, string type) =>
        page.EvaluateAsync(@"([b64, name, type]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], name, { type }));
            document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        }", new object[] { Convert.ToBase64String(bytes), name, type });

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
