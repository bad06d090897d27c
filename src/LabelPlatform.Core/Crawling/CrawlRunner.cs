using System.Diagnostics;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// Executes one job run of a crawl over its persistent frontier. Every frontier entry is committed as soon as it is
/// decided, so a run stopped in any way (pause, cancel, shutdown, SIGKILL) resumes without fetching again what it finished.
/// </summary>
public sealed class CrawlRunner(
    IDbContextFactory<PlatformDbContext> contexts,
    CrawlFrontier frontier,
    CrawlHostTurns turns,
    GuardedFetcher fetcher,
    RobotsCache robots,
    NetworkGuard guard,
    ImageIngest ingest,
    IOptions<CrawlerOptions> crawlerOptions,
    TimeProvider clock,
    ILogger<CrawlRunner> logger)
{
    private readonly CrawlerOptions options = crawlerOptions.Value;

    /// <summary>Executes one job run of a crawl until its frontier has nothing queued.</summary>
    public async Task<CrawlSummary> RunAsync(JobRun run, JobProgress progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var crawlId = JobRunService.ReadParameters<CrawlJobParameters>(run).CrawlId;
        Crawl crawl;
        string datasetName;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            crawl = await db.Crawls.FirstOrDefaultAsync(c => c.Id == crawlId, cancellationToken) ?? throw new CrawlException($"crawl {crawlId} does not exist");
            if (crawl.State is CrawlState.Cancelled or CrawlState.Completed)
            {
                throw new CrawlException($"crawl {crawlId} is {crawl.State.ToString().ToLowerInvariant()}");
            }

            datasetName = await db.Datasets.Where(d => d.Id == crawl.DatasetId).Select(d => d.Name).FirstAsync(cancellationToken);
            crawl.State = CrawlState.Running;
            crawl.CurrentJobRunId = run.Id;
            crawl.Message = null;
            await db.SaveChangesAsync(cancellationToken);
        }

        await frontier.MarkLeftoverClaimsAsync(crawlId, cancellationToken);

        var settings = CrawlService.ReadSettings(crawl);
        using var state = await CrawlRunState.LoadAsync(contexts, options, clock, crawl, settings, run.Id, progress, cancellationToken);
        await state.SeedAsync(cancellationToken);
        await state.ReportAsync(force: true, cancellationToken);

        // Pause and cancel drain: no new URL is claimed, and the requests already sent get their answers recorded.
        // One URL can take every try of its fetch plus a crawl delay between them; cutting it off would record it as
        // interrupted for good. Only a shutdown or a lost lease cuts a request off.
        progress.DrainOnCancel = options.FetchTimeout * (options.MaxRetries + 1) + options.MaxCrawlDelay + options.RetryBaseDelay * (1 << options.MaxRetries);
        using var claiming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, progress.StopRequested);
        await FetchLoopAsync(state, claiming.Token, cancellationToken);

        progress.ThrowIfCancelled();

        var counts = await frontier.CountAsync(crawlId, cancellationToken);
        if (counts.Pages == 0 && counts.Accepted == 0)
        {
            // Nothing was fetched at all (every seed blocked, disallowed or failed): that is a failed crawl, with why.
            throw new CrawlException(await NothingCrawledAsync(crawlId, cancellationToken));
        }

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.Crawls.Where(c => c.Id == crawlId && c.State == CrawlState.Running).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.State, CrawlState.Completed)
                .SetProperty(c => c.FinishedAt, clock.GetUtcNow())
                .SetProperty(c => c.Message, "Completed"), cancellationToken);
        }

        return new CrawlSummary(crawlId, run.Id, datasetName, counts.Pages, counts.Accepted, counts.Duplicates, counts.NearDuplicates, counts.Rejected,
            counts.Failed, counts.Disallowed, counts.Blocked, counts.Skipped, counts.Queued, stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// One more fetcher for a running job run of a crawl, on this or another machine: it claims from the same frontier
    /// under the same per-host turns, without the run's lease; the run itself completes the crawl. It stops claiming
    /// when the crawl pauses, is cancelled or moves to another run, and returns once the frontier has nothing left.
    /// Returns how many URLs it fetched.
    /// </summary>
    public async Task<int> FetchAsync(long jobRunId, CancellationToken cancellationToken)
    {
        Crawl? crawl = null;
        int crawlId;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var run = await db.JobRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == jobRunId, cancellationToken);
            if (run is null || run.Kind != JobKinds.Crawl)
            {
                return 0;
            }

            crawlId = JobRunService.ReadParameters<CrawlJobParameters>(run).CrawlId;
        }

        // Enqueued beside the run, a fetcher may start first: it waits (a lease long) for the run to start the crawl.
        var deadline = clock.GetUtcNow() + frontier.ClaimLease;
        while (true)
        {
            crawl = await FindAsync(crawlId, cancellationToken);
            if (crawl is { State: CrawlState.Running } && crawl.CurrentJobRunId == jobRunId)
            {
                break;
            }

            if (crawl is null || crawl.CurrentJobRunId != jobRunId || crawl.State is not CrawlState.Queued || clock.GetUtcNow() > deadline)
            {
                logger.LogInformation("Crawl fetcher for job run {JobRunId}: the run is not crawling; nothing to do", jobRunId);
                return 0;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), clock, cancellationToken);
        }

        using var state = await CrawlRunState.LoadAsync(contexts, options, clock, crawl, CrawlService.ReadSettings(crawl), jobRunId, null, cancellationToken);
        using var claiming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopWatching = new CancellationTokenSource();
        var watch = WatchAsync(crawlId, jobRunId, claiming, stopWatching.Token);
        try
        {
            return await FetchLoopAsync(state, claiming.Token, cancellationToken);
        }
        finally
        {
            await stopWatching.CancelAsync();
            await watch;
        }
    }

    /// <summary>Stops a helper fetcher's claiming once its run no longer crawls (pause, cancel, completion, another run).</summary>
    private async Task WatchAsync(int crawlId, long jobRunId, CancellationTokenSource claiming, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), clock, stop);
                if (await FindAsync(crawlId, stop) is not { State: CrawlState.Running } crawl || crawl.CurrentJobRunId != jobRunId)
                {
                    await claiming.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<Crawl?> FindAsync(int crawlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Crawls.AsNoTracking().FirstOrDefaultAsync(c => c.Id == crawlId, cancellationToken);
    }

    /// <summary>
    /// Claims and fetches queued URLs until none is queued and no fetcher of the crawl holds a claim (its page may
    /// still add URLs); <paramref name="claimToken"/> stops the claiming, the URLs in flight are recorded. Returns how
    /// many URLs this loop fetched.
    /// </summary>
    private async Task<int> FetchLoopAsync(CrawlRunState state, CancellationToken claimToken, CancellationToken cancellationToken)
    {
        var crawlId = state.Crawl.Id;
        var processor = new CrawlUrlProcessor(state, contexts, frontier, turns, fetcher, robots, guard, ingest, options, clock, logger);
        using var stopRenewing = new CancellationTokenSource();
        var renewing = RenewAsync(crawlId, processor.Owner, stopRenewing.Token);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = claimToken };
        var fetched = 0;
        try
        {
            while (!claimToken.IsCancellationRequested)
            {
                List<CrawlUrl> batch;
                await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
                {
                    // Breadth first: shallow pages before deep ones, so a page limit keeps the pages nearest the seeds.
                    batch = await db.CrawlUrls.AsNoTracking().Where(u => u.CrawlId == crawlId && u.Status == CrawlUrlStatus.Queued)
                        .OrderBy(u => u.Depth).ThenBy(u => u.Id).Take(parallel.MaxDegreeOfParallelism * 16).ToListAsync(cancellationToken);
                }

                try
                {
                    if (batch.Count == 0)
                    {
                        // Others' claims in flight may still add URLs; a dead fetcher's claims lapse and are taken back here.
                        await frontier.MarkLeftoverClaimsAsync(crawlId, cancellationToken);
                        if (!await frontier.AnyClaimedAsync(crawlId, cancellationToken))
                        {
                            break;
                        }

                        await Task.Delay(ClaimPoll, clock, claimToken);
                        continue;
                    }

                    await Parallel.ForEachAsync(batch, parallel, async (entry, _) =>
                    {
                        if (await processor.ProcessAsync(entry, claimToken, cancellationToken))
                        {
                            Interlocked.Increment(ref fetched);
                        }

                        try
                        {
                            await state.ReportAsync(force: false, cancellationToken);
                        }
                        catch (JobCancelledException)
                        {
                            // Seen by this flush: StopRequested has fired, so no new URL is claimed; the others in flight finish.
                        }
                    });
                }
                catch (OperationCanceledException) when (claimToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // Cancel or pause: the URLs in flight were recorded; the run ends as cancelled.
                    break;
                }

                await state.Writer.WaitAsync(cancellationToken);
                try
                {
                    await state.RefreshAsync(cancellationToken);
                }
                finally
                {
                    state.Writer.Release();
                }

                await state.ReportAsync(force: true, cancellationToken);
            }
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
        }

        return fetched;
    }

    private static readonly TimeSpan ClaimPoll = TimeSpan.FromMilliseconds(200);

    private async Task RenewAsync(int crawlId, string owner, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(frontier.ClaimLease / 3, clock, stop);
                try
                {
                    await frontier.RenewClaimsAsync(crawlId, owner, stop);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A busy database: the claims have more renewals before they lapse.
                    logger.LogWarning(ex, "Crawl {CrawlId}: claim renewal failed; retrying", crawlId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<string> NothingCrawledAsync(int crawlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var seeds = await db.CrawlUrls.AsNoTracking().Where(u => u.CrawlId == crawlId && u.Depth == 0).OrderBy(u => u.Id)
            .Select(u => new { u.Url, u.Status, u.Reason }).Take(5).ToListAsync(cancellationToken);
        var why = seeds.Select(u => $"{CrawlText.Clip(u.Url, 200)}: {u.Status.ToString().ToLowerInvariant()}{(u.Reason is { } r ? $" ({CrawlText.Clip(r, 300)})" : "")}");
        return $"nothing was crawled: no seed could be fetched - {string.Join("; ", why)}";
    }
}
