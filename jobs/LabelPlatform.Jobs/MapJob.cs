using Hangfire;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Maps;

namespace LabelPlatform.Jobs;

/// <summary>Entry point for computing an embedding map (Hangfire and CLI). A re-run computes the map again and replaces it.</summary>
public sealed class MapJob(JobExecutor executor, MapService maps)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Embedding map (job run {0})")]
    public Task<MapSummary?> RunAsync(long jobRunId, CancellationToken cancellationToken) =>
        executor.RunAsync(jobRunId, async (run, progress, ct) =>
        {
            var summary = await maps.RunAsync(run, progress, ct);
            return (summary, summary.Describe());
        }, ex => ex is MapException, cancellationToken);
}
