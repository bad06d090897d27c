using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Web.Endpoints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Crawling;

/// <summary>How a crawl's run reads afterwards: a paused crawl is "Paused", a crawl that fetched nothing is failed with why.</summary>
public class CrawlOutcomeTests
{
    [Fact]
    public async Task A_paused_crawl_run_reads_paused_not_cancelled()
    {
        const int pages = 30;
        await using var site = await RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", () => Results.NotFound());
            app.MapGet("/p/{n:int}", async (HttpContext context, int n) =>
            {
                await Task.Delay(60, context.RequestAborted);
                await RecordingSite.Html(context, n + 1 < pages ? $"<a href='/p/{n + 1}'>next</a>" : "end");
            });
        });
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings(("Crawler:PerHostDelay", "00:00:00.040")));
        var crawls = platform.Get<CrawlService>();
        var (crawl, run) = await CrawlRunning.CreateAsync(platform, "paused-state", crawls.BuildSettings([site.BaseUrl + "/p/0"], pages, pages, pages, null));
        var first = CrawlRunning.RunAsync(platform, run.Id);
        Assert.True(await Polling.WaitUntilAsync(async () => first.IsCompleted || (await crawls.CountAsync(crawl.Id)).Pages >= 3, TimeSpan.FromSeconds(60)));
        Assert.False(first.IsCompleted, "the crawl finished before it could be paused; the test proved nothing");

        Assert.True(await crawls.PauseAsync(crawl.Id));
        Assert.Null(await first);

        var stopped = (await platform.Get<JobRunService>().FindAsync(run.Id))!;
        Assert.Equal(JobState.Cancelled, stopped.State); // resumable: not a success, not a failure
        Assert.Equal("Paused", stopped.DisplayState(DateTimeOffset.UtcNow));
        Assert.Equal("Paused", JobEndpoints.ToStatus(stopped, DateTimeOffset.UtcNow).State);
    }

    [Fact]
    public async Task A_paused_crawl_whose_run_was_still_queued_reads_paused()
    {
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings());
        var crawls = platform.Get<CrawlService>();
        var (crawl, run) = await CrawlRunning.CreateAsync(platform, "paused-queued", crawls.BuildSettings(["http://127.0.0.1:9/"], 1, 1, 1, null));

        Assert.True(await crawls.PauseAsync(crawl.Id));

        var stopped = (await platform.Get<JobRunService>().FindAsync(run.Id))!;
        Assert.Equal("Paused", stopped.DisplayState(DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task A_crawl_whose_only_seed_is_blocked_fails_with_the_reason()
    {
        // 127.0.0.2 is outside the allow-list (only 127.0.0.1 is open): the guard refuses it before connecting.
        await using var canary = await RecordingSite.StartAsync(app => app.MapGet("/{**any}", () => "canary"), "127.0.0.2");
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings());
        var crawls = platform.Get<CrawlService>();
        var (crawl, run) = await CrawlRunning.CreateAsync(platform, "blocked-seed", crawls.BuildSettings([canary.BaseUrl + "/"], 1, 5, 5, null));

        var summary = await CrawlRunning.RunAsync(platform, run.Id);

        Assert.Null(summary);
        var failed = (await platform.Get<JobRunService>().FindAsync(run.Id))!;
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("no seed could be fetched", failed.Error, StringComparison.Ordinal);
        Assert.Contains("blocked", failed.Error, StringComparison.Ordinal);
        Assert.Contains("127.0.0.2 is loopback", failed.Error, StringComparison.Ordinal);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var after = await db.Crawls.AsNoTracking().SingleAsync(c => c.Id == crawl.Id);
        Assert.Equal(CrawlState.Failed, after.State);
        Assert.Contains("127.0.0.2 is loopback", after.Message, StringComparison.Ordinal);
        Assert.Empty(canary.Requests);
    }
}
