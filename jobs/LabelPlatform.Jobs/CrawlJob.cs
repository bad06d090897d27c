using Hangfire;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Jobs;

namespace LabelPlatform.Jobs;

/// <summary>
/// Entry point for one job run of a crawl (Hangfire and CLI). Reentrant: a run requeued after a crash or shutdown
/// goes on from the crawl's frontier, where every finished URL is already recorded.
/// </summary>
public sealed class CrawlJob(JobExecutor executor, CrawlService crawls, CrawlRunner runner)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Crawl (job run {0})")]
    public async Task<CrawlSummary?> RunAsync(long jobRunId, CancellationToken cancellationToken)
    {
        var summary = await executor.RunAsync(jobRunId, async (run, progress, ct) =>
        {
            var result = await runner.RunAsync(run, progress, ct);
            return (result, result.Describe());
        }, ex => ex is CrawlException, cancellationToken);
        if (summary is null && !cancellationToken.IsCancellationRequested)
        {
            // Failed, or cancelled from the Jobs page: the crawl says so too.
            await crawls.SyncAfterRunAsync(jobRunId, CancellationToken.None);
        }

        return summary;
    }
}
