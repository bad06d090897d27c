using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Labelling.Queue;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Data;

/// <summary>
/// Every claim holds across processes, not only across threads: two platforms over one database (their own service
/// providers, pools, connections and in-process locks, as two machines would have) race for the same thing, and
/// exactly one wins. On the PostgreSQL pass of tests/run.sh this is where a claim that relied on an in-process lock or
/// on SQLite's single writer would hand the same URL, job or label slot to both.
/// </summary>
public class CrossProcessClaimTests
{
    private const int Rounds = 20;

    [Fact]
    public async Task A_queued_crawl_url_is_claimed_by_exactly_one_of_two_processes()
    {
        await using var first = await CorePlatform.StartAsync();
        await using var second = await CorePlatform.AlongsideAsync(first);
        var dataset = await first.Get<DatasetService>().GetOrCreateAsync("claims", null, "test");
        var urls = await SeedCrawlUrlsAsync(first, dataset.Id, Rounds);

        foreach (var url in urls)
        {
            var wins = await RaceAsync(() => first.Get<CrawlFrontier>().ClaimAsync(url, "first", CancellationToken.None), () => second.Get<CrawlFrontier>().ClaimAsync(url, "second", CancellationToken.None));
            Assert.Equal(1, wins.Count(w => w));
        }

        await using var db = await first.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(Rounds, await db.CrawlUrls.CountAsync(u => u.Status == CrawlUrlStatus.Fetching));
    }

    [Fact]
    public async Task A_job_run_lease_is_taken_by_exactly_one_of_two_processes()
    {
        await using var first = await CorePlatform.StartAsync();
        await using var second = await CorePlatform.AlongsideAsync(first);
        for (var i = 0; i < Rounds; i++)
        {
            var run = await first.Get<JobRunService>().CreateAsync(JobKinds.Import, null, new { }, "test");
            var outcomes = await RaceAsync(
                async () => (await first.Get<JobRunService>().StartAsync(run.Id, "worker-a")).Outcome,
                async () => (await second.Get<JobRunService>().StartAsync(run.Id, "worker-b")).Outcome);
            Assert.Equal(1, outcomes.Count(o => o == JobRunService.StartOutcome.Started));
            Assert.Equal(1, outcomes.Count(o => o == JobRunService.StartOutcome.HeldElsewhere));
        }
    }

    [Fact]
    public async Task The_last_label_slot_of_an_image_goes_to_one_labeller_of_two_processes()
    {
        await using var first = await CorePlatform.StartAsync();
        await using var second = await CorePlatform.AlongsideAsync(first);
        var data = await EvaluationSeed.CreateAsync(first.Services, "slots", 2, Rounds / 2);
        await first.Get<LabellingSettingsService>().SaveSettingsAsync(data.DatasetId, overlap: 1, leaseSeconds: 600, modelId: null, "admin");

        // Labellers on both processes ask at once, again and again: with one slot per image, no image is leased twice.
        var leased = new List<long>();
        for (var round = 0; round < Rounds; round++)
        {
            var batches = await RaceAsync(
                () => first.Get<LabelQueue>().NextAsync(data.DatasetId, $"a{round}", 1, []),
                () => second.Get<LabelQueue>().NextAsync(data.DatasetId, $"b{round}", 1, []));
            leased.AddRange(batches.SelectMany(b => b));
        }

        Assert.Equal(data.ImageIds.Count, leased.Count);
        Assert.Equal(data.ImageIds.Order(), leased.Order());
    }

    [Fact]
    public async Task Two_reviewers_on_two_processes_editing_one_version_leave_exactly_one_edit()
    {
        await using var first = await CorePlatform.StartAsync();
        await using var second = await CorePlatform.AlongsideAsync(first);
        var data = await EvaluationSeed.CreateAsync(first.Services, "reviews", 2, Rounds / 2);
        var won = 0;
        foreach (var image in data.ImageIds)
        {
            var decided = await first.Get<ReviewDecisions>().SetFinalAsync(new ReviewRequest(data.DatasetId, image, "r0", $"start-{image}", data.ClassIds[0], false, null));
            var outcomes = await RaceAsync(
                () => EditAsync(first, new ReviewRequest(data.DatasetId, image, "ra", $"a-{image}", data.ClassIds[1], false, decided.Version)),
                () => EditAsync(second, new ReviewRequest(data.DatasetId, image, "rb", $"b-{image}", null, true, decided.Version)));
            Assert.Equal(1, outcomes.Count(o => o));
            won++;
        }

        await using var db = await first.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(won, await db.FinalLabels.CountAsync(f => f.Version == 2));
        Assert.Equal(2 * won, await db.LabelEvents.CountAsync(e => e.Kind == LabelEventKind.Review));
    }

    private static async Task<bool> EditAsync(CorePlatform platform, ReviewRequest request)
    {
        try
        {
            await platform.Get<ReviewDecisions>().SetFinalAsync(request);
            return true;
        }
        catch (LabelConflictException)
        {
            return false;
        }
    }

    /// <summary>Both sides start together on thread-pool threads, so neither is done before the other begins.</summary>
    private static async Task<T[]> RaceAsync<T>(Func<Task<T>> a, Func<Task<T>> b)
    {
        using var start = new Barrier(2);
        return await Task.WhenAll(Task.Run(() => { start.SignalAndWait(); return a(); }), Task.Run(() => { start.SignalAndWait(); return b(); }));
    }

    private static async Task<List<long>> SeedCrawlUrlsAsync(CorePlatform platform, int datasetId, int count)
    {
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var crawl = new Crawl { DatasetId = datasetId, State = CrawlState.Running, CreatedAt = DateTimeOffset.UtcNow };
        db.Crawls.Add(crawl);
        await db.SaveChangesAsync();
        var urls = Enumerable.Range(0, count).Select(i => new CrawlUrl
        {
            CrawlId = crawl.Id, Kind = CrawlUrlKind.Page, Url = $"http://127.0.0.1/page/{i}", Host = "127.0.0.1", Status = CrawlUrlStatus.Queued,
        }).ToList();
        db.CrawlUrls.AddRange(urls);
        await db.SaveChangesAsync();
        return [.. urls.Select(u => u.Id)];
    }
}
