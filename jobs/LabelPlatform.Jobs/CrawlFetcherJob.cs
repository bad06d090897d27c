using Hangfire;
using LabelPlatform.Core.Crawling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Jobs;

/// <summary>
/// One more fetcher of a running crawl run, on whichever worker picks it up: same frontier, same per-host turns, no
/// lease of the run (the run completes the crawl). A fetcher killed mid-request loses its claims when they lapse.
/// </summary>
public sealed class CrawlFetcherJob(CrawlRunner runner)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Crawl fetcher (job run {0})")]
    public Task<int> RunAsync(long jobRunId, CancellationToken cancellationToken) => runner.FetchAsync(jobRunId, cancellationToken);

    /// <summary>Enqueues Crawler:ExtraFetchers fetchers for the run.</summary>
    internal static void EnqueueExtra(IServiceProvider services, long jobRunId)
    {
        var extra = services.GetRequiredService<IOptions<CrawlerOptions>>().Value.ExtraFetchers;
        var client = extra > 0 ? services.GetRequiredService<IBackgroundJobClient>() : null;
        for (var i = 0; i < extra; i++)
        {
            client!.Enqueue<CrawlFetcherJob>(j => j.RunAsync(jobRunId, CancellationToken.None));
        }
    }
}
