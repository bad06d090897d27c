using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Admin/Crawls: the start form and the list of crawls.</summary>
public sealed class CrawlsPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });

    public async Task<CrawlsPage> GotoAsync()
    {
        await page.GotoAsync("/Admin/Crawls");
        return this;
    }

    public async Task<CrawlDetailsPage> StartAsync(string dataset, string seed, int maxDepth)
    {
        await page.GetByLabel("Dataset").FillAsync(dataset);
        await page.GetByLabel("Seed URLs").FillAsync(seed);
        await page.GetByLabel("Max depth").FillAsync(maxDepth.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Start crawl" }).ClickAsync();
        return new CrawlDetailsPage(page);
    }
}

/// <summary>/Admin/Crawls/Details/{id}: live counts (wwwroot/js/crawls.js swaps the live section), hosts, images.</summary>
public sealed class CrawlDetailsPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator State => page.Locator("#crawl-state");
    public ILocator Flash => page.Locator(".flash");
    public ILocator Pages => page.Locator("[data-count=pages]");
    public ILocator Accepted => page.Locator("[data-count=accepted]");
    public ILocator Images => page.Locator("#crawl-images .thumb");
    public ILocator Hosts => page.Locator("#hosts tbody tr");
    public ILocator Reasons => page.Locator("#reasons");
    public ILocator DatasetLink => page.Locator("a[href^='/Datasets/Details/']").First;

    /// <summary>The crawl's dataset id, from its link.</summary>
    public async Task<int> DatasetIdAsync() => int.Parse((await DatasetLink.GetAttributeAsync("href"))!.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);

    public Task WaitUntilCompletedAsync(float timeoutMs) =>
        Assertions.Expect(State).ToHaveTextAsync("Completed", new() { Timeout = timeoutMs });
}
