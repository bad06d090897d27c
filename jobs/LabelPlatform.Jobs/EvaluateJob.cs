using Hangfire;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;

namespace LabelPlatform.Jobs;

/// <summary>
/// Entry point for an evaluation run (Hangfire and CLI). Reentrant: a run whose report is stored returns it; one
/// interrupted half-way is computed again from the start (it takes seconds, and nothing partial was stored).
/// </summary>
public sealed class EvaluateJob(JobExecutor executor, EvaluationService evaluations)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Evaluate (job run {0})")]
    public Task<EvaluationSummary?> RunAsync(long jobRunId, CancellationToken cancellationToken) =>
        executor.RunAsync(jobRunId, async (run, progress, ct) =>
        {
            var summary = await evaluations.ExecuteAsync(run, progress, ct);
            return (summary, summary.Describe());
        }, ex => ex is EvaluationException, cancellationToken);
}
