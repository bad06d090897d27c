using Hangfire;
using LabelPlatform.Core.Jobs;

namespace LabelPlatform.Jobs;

/// <summary>Maps a platform job run to its Hangfire job class.</summary>
internal sealed class HangfireJobScheduler(IBackgroundJobClient client) : IJobScheduler
{
    public string Enqueue(JobRun run) => run.Kind switch
    {
        JobKinds.Import => client.Enqueue<ImportDatasetJob>(j => j.RunAsync(run.Id, CancellationToken.None)),
        _ => throw new ArgumentOutOfRangeException(nameof(run), run.Kind, "no job class handles this kind"),
    };

    public void Cancel(JobRun run)
    {
        // Deleting the Hangfire job trips the running job's CancellationToken (Hangfire watches for aborted jobs);
        // the run's CancelRequested flag stops it too, whichever comes first.
        if (!string.IsNullOrEmpty(run.HangfireJobId))
        {
            client.Delete(run.HangfireJobId);
        }
    }
}
