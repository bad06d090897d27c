using Microsoft.Extensions.Logging;

namespace LabelPlatform.Core.Jobs;

/// <summary>
/// The shared frame of every job: start (or resume) the run, do the work with progress, and record how it ended.
/// Hangfire jobs and the CLI both go through it, so a run looks the same on the Jobs page wherever it ran.
/// </summary>
public sealed class JobExecutor(JobRunService runs, ILogger<JobExecutor> logger)
{
    /// <summary>
    /// Runs <paramref name="work"/> for the run. Errors the work reports as "expected" (bad input, a failed download)
    /// end the run as Failed without a retry; anything else is recorded and rethrown so the scheduler may retry.
    /// Returns the work's result, or default when the run had nothing to do (finished or cancelled).
    /// </summary>
    public async Task<T?> RunAsync<T>(long jobRunId, Func<JobRun, JobProgress, CancellationToken, Task<(T Result, string Message)>> work,
        Func<Exception, bool> isExpectedFailure, CancellationToken cancellationToken)
    {
        var run = await runs.StartAsync(jobRunId, cancellationToken);
        if (run is null)
        {
            logger.LogInformation("Job run {JobRunId} has nothing to do (finished, cancelled or unknown)", jobRunId);
            return default;
        }

        var progress = runs.CreateProgress(jobRunId);
        try
        {
            var (result, message) = await work(run, progress, cancellationToken);
            await runs.CompleteAsync(jobRunId, message);
            return result;
        }
        catch (JobCancelledException)
        {
            await runs.MarkCancelledAsync(jobRunId);
            logger.LogInformation("Job run {JobRunId} cancelled", jobRunId);
            return default;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is shutting down: leave the run Running so the scheduler's retry resumes it.
            logger.LogWarning("Job run {JobRunId} interrupted by shutdown; it resumes on the next start", jobRunId);
            throw;
        }
        catch (Exception ex) when (isExpectedFailure(ex))
        {
            await runs.FailAsync(jobRunId, ex.Message);
            logger.LogWarning("Job run {JobRunId} failed: {Error}", jobRunId, ex.Message);
            return default;
        }
        catch (Exception ex)
        {
            await runs.FailAsync(jobRunId, $"{ex.GetType().Name}: {ex.Message}");
            logger.LogError(ex, "Job run {JobRunId} failed unexpectedly", jobRunId);
            throw;
        }
    }
}
