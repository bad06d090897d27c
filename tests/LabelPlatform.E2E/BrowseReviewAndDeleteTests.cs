using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Identity;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Jobs;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>
/// The browser's "send to review" ending in the Flagged queue, one confirmation per destructive action, and deleting a
/// dataset from its page: the confirmation states the counts, and an evaluation report that used it still opens.
/// </summary>
public sealed class BrowseReviewAndDeleteTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private async Task SignInAsync(string email, string password)
    {
        await Page.SetViewportSizeAsync(1280, 800);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(email, password);
    }

    private async Task<List<long>> ImageIdsAsync(int datasetId)
    {
        using var scope = Server.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().Images.Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync();
    }

    [Fact]
    public Task A_reviewer_sends_three_images_to_review_and_finds_them_in_the_flagged_queue() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("flag", ["accordion", "anchor"], 4);
        var reviewer = $"fl-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        await Server.CreateUserAsync(reviewer, Roles.Reviewer);
        await SignInAsync(reviewer, PlatformFactory.UserPassword);
        var chosen = (await ImageIdsAsync(datasetId)).Skip(2).Take(3).ToList();

        // From the dataset page, as a reviewer finds it.
        await Page.GotoAsync($"/Datasets/Details/{datasetId}");
        await Page.Locator("#browse-link").ClickAsync();
        var browse = new BrowsePage(Page);
        await Expect(browse.Tiles).ToHaveCountAsync(8);
        foreach (var id in chosen)
        {
            await browse.SelectAsync(id);
        }

        await Page.Locator("#flag-note").FillAsync("check these");
        var dialogs = 0;
        Page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
        await Page.Locator("#flag").ClickAsync();
        await Expect(browse.Flash).ToContainTextAsync("3 image(s) sent to review");
        Assert.Equal(0, dialogs); // sending to review destroys nothing, so it does not ask

        await Page.Locator("#flagged-queue").ClickAsync();
        var queue = new ReviewQueuePage(Page);
        await Expect(Page.Locator("#tab-flagged")).ToHaveClassAsync("active");
        await Expect(queue.Items).ToHaveCountAsync(3);
        Assert.Equal(chosen, [.. (await queue.Items.EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.imageId)")).Select(long.Parse).Order()]);
        await Expect(queue.Item(chosen[0])).ToContainTextAsync($"sent to review by {reviewer}");
        await Expect(queue.Item(chosen[0])).ToContainTextAsync("check these");
        await ScreenshotAsync("review-flagged");
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task Rejecting_and_deleting_in_the_browser_ask_once() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("once", ["accordion"], 3);
        await SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        var ids = await ImageIdsAsync(datasetId);
        var browse = new BrowsePage(Page);
        await browse.GotoAsync(datasetId);
        await browse.SelectAsync(ids[0]);
        var dialogs = new List<string>();
        Page.Dialog += (_, d) => { dialogs.Add(d.Message); _ = d.DismissAsync(); };

        await Page.Locator("#reject").ClickAsync();
        await Page.Locator("#delete").ClickAsync();
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.Equal(2, dialogs.Count);
        Assert.StartsWith("Set the final label", dialogs[0], StringComparison.Ordinal);
        Assert.StartsWith("Delete 1 image(s)", dialogs[1], StringComparison.Ordinal);
        // With script the "I understand" box is the dialog's: hidden, not a second question.
        await Expect(Page.Locator("#understand")).ToBeHiddenAsync();
        Assert.Equal(3, (await ImageIdsAsync(datasetId)).Count);
        using (var scope = Server.Services.CreateScope())
        {
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().FinalLabels.CountAsync(f => f.DatasetId == datasetId));
        }

        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task An_admin_deletes_a_dataset_after_its_counts_and_its_evaluation_report_still_opens() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("delete", ["accordion", "anchor"], 4);
        string name;
        long runId;
        using (var scope = Server.Services.CreateScope())
        {
            name = await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstAsync();
            // The random baseline on a leave-one-out split: a finished report without computing vectors.
            var evaluations = Server.Services.GetRequiredService<EvaluationService>();
            var split = await evaluations.GetOrCreateSplitAsync(datasetId, null, SplitProtocols.LeaveOneOut, 0, "e2e");
            var (run, job) = await evaluations.CreateRunAsync(new EvaluationRequest { DatasetId = datasetId, SplitId = split.Id, ModelId = null, Ks = [1, 5], MainK = 5, StartedBy = "e2e" }, enqueue: false);
            Assert.NotNull(await scope.ServiceProvider.GetRequiredService<EvaluateJob>().RunAsync(job.Id, CancellationToken.None));
            runId = run.Id;
        }

        await SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        var dialogs = 0;
        Page.Dialog += (_, d) => { dialogs++; _ = d.DismissAsync(); };
        await Page.GotoAsync($"/Datasets/Details/{datasetId}");
        await Page.Locator("#delete-dataset-link").ClickAsync();

        var effects = Page.Locator("#delete-effects");
        await Expect(effects.Locator("[data-count=images]")).ToContainTextAsync("8 image(s)");
        await Expect(effects.Locator("[data-count=embeddings]")).ToContainTextAsync("0 embedding(s)");
        await Expect(effects.Locator("[data-count=other]")).ToContainTextAsync("2 class(es)");
        await Expect(Page.Locator("#delete-evaluations")).ToContainTextAsync("1 finished evaluation run(s) that used this dataset are kept");
        await ScreenshotAsync("delete-dataset-confirmation");
        await Page.Locator("#Confirm").FillAsync(name);
        await Page.Locator("#delete-confirm").ClickAsync();

        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/Datasets$"));
        await Expect(Page.Locator(".flash")).ToContainTextAsync($"Dataset {name} deleted: 8 image(s)");
        Assert.Equal(0, dialogs); // the confirmation page is the one confirmation
        Assert.Empty(await ImageIdsAsync(datasetId));

        var report = new EvaluationReportPage(Page);
        await report.GotoAsync(runId);
        await Expect(report.Heading).ToContainTextAsync(name);
        await Expect(Page.Locator("#deleted-note")).ToContainTextAsync($"the dataset it used ({name}, #{datasetId}) was deleted");
        await Expect(report.Headline.First).ToBeVisibleAsync();
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task Browse_and_map_are_one_click_from_the_dataset_page_and_list_and_the_bar_stays_one_line() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("nav", ["accordion"], 2);
        await SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        var bar = new TopBar(Page);

        await Page.GotoAsync("/Datasets");
        var row = Page.Locator("#datasets tr", new() { Has = Page.Locator($"a[href=\"/Datasets/Browse/{datasetId}\"]") });
        await Expect(row.Locator("[data-link=map]")).ToBeVisibleAsync();
        Assert.True(await bar.IsWithinViewportAsync(row.Locator("[data-link=map]")), "the map link is off screen at 1280 px");
        Assert.Equal(0, await bar.SidewaysOverflowAsync());

        foreach (var path in new[] { $"/Datasets/Details/{datasetId}", "/Datasets", $"/Datasets/Browse/{datasetId}", $"/Admin/Datasets/Delete/{datasetId}" })
        {
            await Page.GotoAsync(path);
            // One line: every top-level entry of the bar shares its first entry's row.
            var tops = await Page.Locator("#topbar .mainnav > a, #topbar .mainnav > details, #topbar .brand, #topbar .who")
                .EvaluateAllAsync<double[]>("els => els.filter(e => e.offsetParent).map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))");
            Assert.True(tops.Length >= 4 && tops.Max() - tops.Min() <= 4, $"{path}: the bar wraps ({string.Join(", ", tops)})");
            Assert.Equal(0, await bar.SidewaysOverflowAsync());
        }

        await Page.GotoAsync($"/Datasets/Details/{datasetId}");
        await Page.Locator("#map-link").ClickAsync();
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/Datasets/Map/{datasetId}"));
        Assert.Empty(PageErrors);
    });
}
