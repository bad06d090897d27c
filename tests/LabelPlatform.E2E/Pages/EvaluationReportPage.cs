using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Evaluation/Report/{id}: one run's report, its charts and its confusion matrix.</summary>
public sealed class EvaluationReportPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator Headline => page.Locator("#headline .figure");
    public ILocator Charts => page.Locator("#charts img.chart");
    public ILocator Confusion => page.Locator("table#confusion");
    public ILocator ConfusionLinks => Confusion.Locator("td.off a");

    public async Task<EvaluationReportPage> GotoAsync(long runId)
    {
        await page.GotoAsync($"/Evaluation/Report/{runId}");
        return this;
    }

    /// <summary>Whether every chart has loaded as a real picture (a broken image has naturalWidth 0).</summary>
    public Task<bool> ChartsLoadedAsync() =>
        page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#charts img.chart')].every(i => i.complete && i.naturalWidth > 0)");

    /// <summary>Clicks a confusion cell and waits for its pairs page.</summary>
    public async Task<EvaluationPairsPage> OpenCellAsync(ILocator cell)
    {
        await cell.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/Evaluation/Pairs/\d+\?queryClass=\d+&resultClass=\d+$"));
        return new EvaluationPairsPage(page);
    }
}

/// <summary>/Evaluation/Pairs/{id}: the query → result pairs behind one confusion cell.</summary>
public sealed class EvaluationPairsPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator Rows => page.Locator("table#pairs tbody tr");
}
