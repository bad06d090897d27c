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
        var processor = new CrawlUrlProcessor(state, contexts, frontier, fetcher, robots, guard, ingest, options, clock, logger);
        await state.SeedAsync(cancellationToken);
        await state.ReportAsync(force: true, cancellationToken);

        // Pause and cancel drain: no new URL is claimed, and the requests already sent get their answers recorded.
        // One URL can take every try of its fetch plus a crawl delay between them; cutting it off would record it as
        // interrupted for good. Only a shutdown or a lost lease cuts a request off.
        progress.DrainOnCancel = options.FetchTimeout * (options.MaxRetries + 1) + options.MaxCrawlDelay + options.RetryBaseDelay * (1 << options.MaxRetries);
        using var claiming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, progress.StopRequested);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = claiming.Token };
        while (!claiming.IsCancellationRequested)
        {
            List<CrawlUrl> batch;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                // Breadth first: shallow pages before deep ones, so a page limit keeps the pages nearest the seeds.
                batch = await db.CrawlUrls.AsNoTracking().Where(u => u.CrawlId == crawlId && u.Status == CrawlUrlStatus.Queued)
                    .OrderBy(u => u.Depth).ThenBy(u => u.Id).Take(parallel.MaxDegreeOfParallelism * 16).ToListAsync(cancellationToken);
            }

            if (batch.Count == 0)
            {
                break;
            }

            try
            {
                await Parallel.ForEachAsync(batch, parallel, async (entry, _) =>
                {
                    await processor.ProcessAsync(entry, claiming.Token, cancellationToken);
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
            catch (OperationCanceledException) when (claiming.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Cancel or pause: the URLs in flight were recorded; the run ends as cancelled below.
                break;
            }

            await state.ReportAsync(force: true, cancellationToken);
        }

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

    private async Task<string> NothingCrawledAsync(int crawlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var seeds = await db.CrawlUrls.AsNoTracking().Where(u => u.CrawlId == crawlId && u.Depth == 0).OrderBy(u => u.Id)
            .Select(u => new { u.Url, u.Status, u.Reason }).Take(5).ToListAsync(cancellationToken);
        var why = seeds.Select(u => $"{CrawlText.Clip(u.Url, 200)}: {u.Status.ToString().ToLowerInvariant()}{(u.Reason is { } r ? $" ({CrawlText.Clip(r, 300)})" : "")}");
        return $"nothing was crawled: no seed could be fetched - {string.Join("; ", why)}";
    }
}
