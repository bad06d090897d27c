using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Datasets/Details/{id}: counts, the class list, the thumbnail grid and the rejected files.</summary>
public sealed class DatasetDetailsPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator ImageCount => page.Locator("#image-count");
    public ILocator ClassList => page.Locator("#class-list");
    public ILocator Grid => page.Locator("#thumbnail-grid");
    public ILocator Thumbnails => Grid.GetByRole(AriaRole.Link);
    public ILocator ThumbnailImages => Grid.GetByRole(AriaRole.Img);
    public ILocator RejectedSection => page.Locator("#rejected");
    public ILocator Embeddings => page.Locator("#embeddings");

    /// <summary>The Embeddings table's row of one model version.</summary>
    public ILocator EmbeddingRow(string model, int version) => Embeddings.Locator($"tr[data-model=\"{model}\"][data-version=\"{version}\"]");

    /// <summary>"embedded / images" for one model version.</summary>
    public ILocator EmbeddedCount(string model, int version) => EmbeddingRow(model, version).Locator("[data-field=embedded]");

    /// <summary>Admins only: starts an embed run for the model version; the app opens the run's job page.</summary>
    public async Task<JobPage> ComputeEmbeddingsAsync(string model, int version)
    {
        await EmbeddingRow(model, version).GetByRole(AriaRole.Button, new() { Name = "Compute embeddings", Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/Admin/Jobs/Details/\d+$"));
        return new JobPage(page);
    }

    /// <summary>The class names in the side list, without the "All classes" entry.</summary>
    public async Task<IReadOnlyList<string>> ClassNamesAsync()
    {
        var names = await ClassList.GetByTestId("class-name").AllInnerTextsAsync();
        return [.. names.Select(n => n.Trim())];
    }

    /// <summary>The image count shown next to a class in the side list.</summary>
    public ILocator ClassCount(string className) =>
        ClassList.GetByRole(AriaRole.Listitem)
            .Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = className, Exact = true }) })
            .GetByTestId("class-count");

    public ILocator RejectedRow(string origin) =>
        RejectedSection.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = origin, Exact = true }) });

    /// <summary>
    /// Scrolls every thumbnail into view (they are loading="lazy") and waits until the browser has finished each
    /// request, successful or not; returns the src of every image that did not decode (naturalWidth 0).
    /// </summary>
    public async Task<IReadOnlyList<string>> BrokenThumbnailsAsync()
    {
        foreach (var image in await ThumbnailImages.AllAsync())
        {
            await image.ScrollIntoViewIfNeededAsync();
        }

        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#thumbnail-grid img')].every(i => i.complete)");
        return await ThumbnailImages.EvaluateAllAsync<string[]>("images => images.filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src'))");
    }
}
