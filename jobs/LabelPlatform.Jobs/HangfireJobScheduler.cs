using Hangfire;
using LabelPlatform.Core.Jobs;

namespace LabelPlatform.Jobs;

/// <summary>Maps a platform job run to its Hangfire job class.</summary>
internal sealed class HangfireJobScheduler(IBackgroundJobClient client) : IJobScheduler
{
    // Through ScheduledJobs, so a run the platform records as failed is Failed in Hangfire's dashboard too.
    public string Enqueue(JobRun run) => run.Kind switch
    {
        JobKinds.Import => client.Enqueue<ScheduledJobs>(j => j.ImportAsync(run.Id, CancellationToken.None)),
        JobKinds.Embed => client.Enqueue<ScheduledJobs>(j => j.EmbedAsync(run.Id, CancellationToken.None)),
        JobKinds.Evaluate => client.Enqueue<ScheduledJobs>(j => j.EvaluateAsync(run.Id, CancellationToken.None)),
        JobKinds.Crawl => client.Enqueue<ScheduledJobs>(j => j.CrawlAsync(run.Id, CancellationToken.None)),
        JobKinds.Train => client.Enqueue<ScheduledJobs>(j => j.TrainAsync(run.Id, CancellationToken.None)),
        JobKinds.Map => client.Enqueue<ScheduledJobs>(j => j.MapAsync(run.Id, CancellationToken.None)),
        _ => throw new ArgumentOutOfRangeException(nameof(run), run.Kind, "no job class handles this kind"),
    };
}
