using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Admin/Jobs/Details/{id}: one job run; wwwroot/js/jobs.js polls its status and rewrites the progress bar.</summary>
public sealed class JobPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator Progress => page.Locator(".progress[data-job-id]");
    public ILocator Bar => Progress.Locator(".bar");
    public ILocator Percent => Progress.Locator(".pct");
    public ILocator State => Progress.Locator(".state");
    public ILocator Counts => Progress.Locator(".counts");
    public ILocator Accepted => Field("succeeded");
    public ILocator Duplicates => Field("duplicates");
    public ILocator Failed => Field("failed");
    public ILocator Message => Field("message");
    public ILocator Error => Field("error");
    public ILocator Facts => page.Locator("#job-facts");
    public ILocator FinishedAt => page.Locator("#finished-at");
    public ILocator ItemErrors => page.Locator("#job-item-errors");

    /// <summary>
    /// Waits for the run to finish, as the page shows it: jobs.js sets data-finished once the status API says so (the
    /// server renders it directly when the run had already finished). Waiting on the DOM, not a sleep, keeps this as
    /// fast as the job.
    /// </summary>
    public Task WaitUntilFinishedAsync(float timeoutMs) =>
        Assertions.Expect(Progress).ToHaveAttributeAsync("data-finished", "true", new() { Timeout = timeoutMs });

    /// <summary>
    /// Waits until the server-rendered facts show the finish time: jobs.js fetches them again when the run finishes
    /// while the page is open (they are not part of the status API).
    /// </summary>
    public Task WaitForFinishedFactsAsync() => Assertions.Expect(FinishedAt).Not.ToHaveTextAsync("—");

    public ILocator ItemErrorRow(string item) =>
        ItemErrors.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = item, Exact = true }) });

    public async Task<DatasetDetailsPage> OpenDatasetAsync(string datasetName)
    {
        await Facts.GetByRole(AriaRole.Link, new() { Name = datasetName, Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/Datasets/Details/\d+$"));
        return new DatasetDetailsPage(page);
    }

    private ILocator Field(string name) => page.Locator($"[data-field=\"{name}\"][data-job-id]");
}
