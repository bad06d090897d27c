using Hangfire;
using LabelPlatform.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Jobs;

/// <summary>The platform recorded the run as failed; thrown so Hangfire's dashboard shows the job Failed too.</summary>
public sealed class JobRunFailedException(long jobRunId, string? error)
    : Exception($"job run {jobRunId} failed: {error ?? "no reason recorded"}")
{
    public long JobRunId { get; } = jobRunId;
}

/// <summary>
/// What Hangfire executes: each kind's job, then the run's recorded outcome. The jobs return normally when their
/// work fails as expected (bad input, missing embeddings): the run row says Failed, and without this Hangfire would
/// show the job Succeeded. The CLI calls the job classes directly and reads the row itself.
/// </summary>
public sealed class ScheduledJobs(IServiceProvider services, JobRunService runs)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Import dataset (job run {0})")]
    public Task ImportAsync(long jobRunId, CancellationToken cancellationToken) =>
        RunAsync(jobRunId, () => services.GetRequiredService<ImportDatasetJob>().RunAsync(jobRunId, cancellationToken));

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Embed dataset (job run {0})")]
    public Task EmbedAsync(long jobRunId, CancellationToken cancellationToken) =>
        RunAsync(jobRunId, () => services.GetRequiredService<EmbedDatasetJob>().RunAsync(jobRunId, cancellationToken));

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Evaluate (job run {0})")]
    public Task EvaluateAsync(long jobRunId, CancellationToken cancellationToken) =>
        RunAsync(jobRunId, () => services.GetRequiredService<EvaluateJob>().RunAsync(jobRunId, cancellationToken));

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Crawl (job run {0})")]
    public Task CrawlAsync(long jobRunId, CancellationToken cancellationToken) =>
        RunAsync(jobRunId, () =>
        {
            CrawlFetcherJob.EnqueueExtra(services, jobRunId);
            return services.GetRequiredService<CrawlJob>().RunAsync(jobRunId, cancellationToken);
        });

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Train (job run {0})")]
    public Task TrainAsync(long jobRunId, CancellationToken cancellationToken) =>
        RunAsync(jobRunId, () => services.GetRequiredService<TrainJob>().RunAsync(jobRunId, cancellationToken));

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Embedding map (job run {0})")]
    public Task MapAsync(long jobRunId, CancellationToken cancellationToken) =>
        RunAsync(jobRunId, () => services.GetRequiredService<MapJob>().RunAsync(jobRunId, cancellationToken));

    private async Task RunAsync(long jobRunId, Func<Task> job)
    {
        await job();
        if (await runs.FindAsync(jobRunId, CancellationToken.None) is { State: JobState.Failed } failed)
        {
            throw new JobRunFailedException(jobRunId, failed.Error ?? failed.Message);
        }
    }
}
