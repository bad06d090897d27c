using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Identity;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>
/// Issue 13, defect 7: human labels were invisible on the dataset page and in the search class filter. A reviewer
/// relabels two images in the browser; the dataset page counts them and the search filter finds them by their new class.
/// </summary>
public sealed class HumanLabelVisibilityTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    [Fact]
    public Task Relabelled_images_count_on_the_dataset_page_and_match_the_search_filter_by_their_new_class() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("human", ["accordion", "airplanes", "barrel"], 6);
        await Server.EmbedAsync(datasetId, ModelRegistry.ResNet18);
        var reviewer = $"hl-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        await Server.CreateUserAsync(reviewer, Roles.Reviewer);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(reviewer, PlatformFactory.UserPassword);
        List<long> airplanes, barrels;
        using (var scope = Server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            var classIds = await db.ImageClasses.Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Name, c => c.Id);
            airplanes = await db.Images.Where(i => i.DatasetId == datasetId && i.SourceClassId == classIds["airplanes"]).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync();
            barrels = await db.Images.Where(i => i.DatasetId == datasetId && i.SourceClassId == classIds["barrel"]).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync();
        }

        var relabelled = airplanes.Take(2).ToList();
        var browse = new BrowsePage(Page);
        await browse.GotoAsync(datasetId);
        await browse.FilterAsync("import", "airplanes");
        foreach (var id in relabelled)
        {
            await browse.SelectAsync(id);
        }

        await browse.RelabelAsync("barrel");
        await Expect(browse.Flash).ToContainTextAsync("2 image(s) relabelled");

        // The dataset page: the total and the barrel row's badge count the two decisions.
        await Page.GotoAsync($"/Datasets/Details/{datasetId}");
        await Expect(Page.Locator("#human-labels")).ToContainTextAsync("2 human labels (2 final, 0 consensus)");
        var barrelRow = Page.Locator("#class-list li", new() { Has = Page.Locator("[data-testid=class-name]", new() { HasTextString = "barrel" }) });
        await Expect(barrelRow.Locator("[data-testid=human-count]")).ToHaveTextAsync("2 human");
        // A thumbnail's cut caption keeps its full text as a tooltip.
        var firstThumb = Page.Locator("a.thumb").First;
        Assert.False(string.IsNullOrWhiteSpace(await firstThumb.GetAttributeAsync("title")));

        // Search: "barrel — current label" returns the relabelled airplanes with the barrels; "barrel — import label" does not.
        await Page.GotoAsync($"/Search?DatasetId={datasetId}&ModelName={ModelRegistry.ResNet18}&K=30&ImageId={airplanes[^1]}");
        var current = await Page.Locator("#Only option", new() { HasTextString = "barrel — current label" }).GetAttributeAsync("value");
        var import = await Page.Locator("#Only option", new() { HasTextString = "barrel — import label" }).GetAttributeAsync("value");
        Assert.Equal(relabelled.Concat(barrels).Order().ToList(), await ResultIdsAsync(datasetId, airplanes[^1], current!));
        Assert.Equal(barrels, await ResultIdsAsync(datasetId, airplanes[^1], import!));
        Assert.Empty(PageErrors);
    });

    private async Task<List<long>> ResultIdsAsync(int datasetId, long queryImage, string only)
    {
        await Page.GotoAsync($"/Search?DatasetId={datasetId}&ModelName={ModelRegistry.ResNet18}&K=30&ImageId={queryImage}&Only={Uri.EscapeDataString(only)}");
        await Expect(Page.Locator("#result-grid")).ToBeVisibleAsync();
        var hrefs = await Page.Locator("#result-grid .result a[href^='/Images/Details/']").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
        return [.. hrefs.Select(h => long.Parse(h.Split('/')[^1].Split('?')[0], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order()];
    }
}
