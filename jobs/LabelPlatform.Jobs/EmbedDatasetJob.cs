using System.Diagnostics;
using Hangfire;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;

namespace LabelPlatform.Jobs;

/// <summary>
/// Entry point for embedding pre-computation (Hangfire and CLI). The run is split into chunks of image ids that this
/// process and any other job server (see <see cref="ChunkJoinService"/>) work through together. Reentrant: a requeued
/// or re-run job takes part in the same run and only does what is left.
/// </summary>
public sealed class EmbedDatasetJob(ChunkedJobRunner runner, EmbedChunkWork work)
{
    /// <summary>The run's totals when this process completed it; null when another process did, or it did not succeed.</summary>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Embed dataset (job run {0})")]
    public async Task<EmbedSummary?> RunAsync(long jobRunId, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        return await runner.RunAsync(jobRunId, work, cancellationToken)
            ? await work.SummarizeAsync(jobRunId, watch.Elapsed.TotalSeconds, cancellationToken)
            : null;
    }
}
