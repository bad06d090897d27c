using Hangfire;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Training;

namespace LabelPlatform.Jobs;

/// <summary>
/// Entry point for training a projection head (Hangfire and CLI). Reentrant: a run whose model is registered goes on
/// from there (embeddings and evaluations are skipped where done); one interrupted while training starts training
/// again, which with its seed gives the same weights.
/// </summary>
public sealed class TrainJob(JobExecutor executor, TrainingService training)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Train (job run {0})")]
    public Task<TrainingSummary?> RunAsync(long jobRunId, CancellationToken cancellationToken) =>
        executor.RunAsync(jobRunId, async (run, progress, ct) =>
        {
            var summary = await training.RunAsync(run, progress, ct);
            return (summary, summary.Describe());
        }, ex => ex is TrainingException or Core.Embeddings.EmbeddingException or Core.Evaluation.EvaluationException, cancellationToken);
}
