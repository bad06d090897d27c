using Hangfire;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;

namespace LabelPlatform.Jobs;

/// <summary>
/// Entry point for embedding pre-computation (Hangfire and CLI). Reentrant: it embeds what has no vector yet for the
/// model version, so a requeued or re-run job only finishes the rest.
/// </summary>
public sealed class EmbedDatasetJob(JobExecutor executor, EmbeddingService embeddings)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Embed dataset (job run {0})")]
    public Task<EmbedSummary?> RunAsync(long jobRunId, CancellationToken cancellationToken) =>
        executor.RunAsync(jobRunId, async (run, progress, ct) =>
        {
            var summary = await embeddings.RunAsync(run, progress, ct);
            return (summary, summary.Describe());
        }, ex => ex is EmbeddingException, cancellationToken);
}
