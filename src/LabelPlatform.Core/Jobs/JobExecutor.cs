using Microsoft.Extensions.Logging;

namespace LabelPlatform.Core.Jobs;

/// <summary>
/// The shared frame of every job: claim (or resume) the run, do the work with progress and a lease heartbeat, and
/// record how it ended. Hangfire jobs and the CLI both go through it, so a run looks the same on the Jobs page
/// wherever it ran, and two processes never execute the same run at once.
/// </summary>
public sealed class JobExecutor(JobRunService runs, ILogger<JobExecutor> logger)
{
    /// <summary>
    /// Runs <paramref name="workload"/> for the run. Errors the work reports as expected (bad input, a failed
    /// download) end the run as Failed without a retry; anything else is recorded and rethrown so the scheduler may
    /// retry. Returns the work's result, or default when this process did not complete the run (nothing to do,
    /// cancelled, or taken over by another process).
    /// </summary>
    public async Task<T?> RunAsync<T>(long jobRunId, Func<JobRun, JobProgress, CancellationToken, Task<(T Result, string Message)>> workload,
        Func<Exception, bool> isExpectedFailure, CancellationToken cancellationToken)
    {
        var owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        var run = await ClaimAsync(jobRunId, owner, cancellationToken);
        if (run is null)
        {
            return default;
        }

        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopHeartbeat = new CancellationTokenSource();
        var watch = new Watch();
        using var progress = runs.CreateProgress(jobRunId);
        var heartbeat = HeartbeatAsync(jobRunId, owner, work, watch, progress, stopHeartbeat.Token);
        try
        {
            var (result, message) = await workload(run, progress, work.Token);
            await StopAsync(stopHeartbeat, heartbeat);
            await runs.CompleteAsync(jobRunId, message);
            return result;
        }
        catch (JobCancelledException)
        {
            await runs.MarkCancelledAsync(jobRunId);
            logger.LogInformation("Job run {JobRunId} cancelled", jobRunId);
            return default;
        }
        catch (OperationCanceledException) when (progress.CancelRequested)
        {
            // Cancel pressed while the work was in a step without progress reports (e.g. a download).
            await runs.MarkCancelledAsync(jobRunId);
            logger.LogInformation("Job run {JobRunId} cancelled", jobRunId);
            return default;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is shutting down: leave the run Running; Hangfire requeues the job and it resumes.
            logger.LogWarning("Job run {JobRunId} interrupted by shutdown; it resumes on the next start", jobRunId);
            throw;
        }
        catch (OperationCanceledException) when (watch.LeaseLost)
        {
            // The lease was lost to another process, which now owns the run: leave the row to it.
            return default;
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
        finally
        {
            await StopAsync(stopHeartbeat, heartbeat);
        }
    }

    /// <summary>Claims the run, waiting while another live process holds it. Null when there is nothing to do.</summary>
    private async Task<JobRun?> ClaimAsync(long jobRunId, string owner, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (outcome, run) = await runs.StartAsync(jobRunId, owner, cancellationToken);
            switch (outcome)
            {
                case JobRunService.StartOutcome.Started:
                    return run;
                case JobRunService.StartOutcome.NothingToDo:
                    logger.LogInformation("Job run {JobRunId} has nothing to do (finished, cancelled or unknown)", jobRunId);
                    return null;
                default:
                    // Held elsewhere: wait for that process to finish, or for its lease to lapse if it died.
                    logger.LogInformation("Job run {JobRunId} is held by another process; waiting", jobRunId);
                    await Task.Delay(runs.LeaseDuration / 3, cancellationToken);
                    break;
            }
        }
    }

    /// <summary>
    /// Renews the lease (every third of its duration, at most every 2 s) and watches for Cancel; stops the work when
    /// the run was cancelled or the lease was lost.
    /// </summary>
    private async Task HeartbeatAsync(long jobRunId, string owner, CancellationTokenSource work, Watch watch, JobProgress progress, CancellationToken stop)
    {
        var interval = runs.LeaseDuration / 3;
        using var timer = new PeriodicTimer(interval < HeartbeatCeiling ? interval : HeartbeatCeiling);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                JobRunService.LeaseState state;
                try
                {
                    state = await runs.RenewLeaseAsync(jobRunId, owner, stop);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A busy database: the lease has more ticks before it lapses.
                    logger.LogWarning(ex, "Job run {JobRunId}: lease renewal failed; retrying", jobRunId);
                    continue;
                }

                if (state == JobRunService.LeaseState.Held)
                {
                    continue;
                }

                if (state == JobRunService.LeaseState.Lost)
                {
                    logger.LogWarning("Job run {JobRunId} lost its lease to another process; stopping this copy", jobRunId);
                    watch.LeaseLost = true;
                }
                else
                {
                    progress.SignalCancel();
                    if (progress.DrainOnCancel is { } grace)
                    {
                        // The work stops taking new items now and has this long to record the ones in flight.
                        work.CancelAfter(grace);
                        return;
                    }
                }

                await work.CancelAsync();
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // The work ended.
        }
    }

    private static readonly TimeSpan HeartbeatCeiling = TimeSpan.FromSeconds(2);

    private sealed class Watch
    {
        public volatile bool LeaseLost;
    }

    private static async Task StopAsync(CancellationTokenSource stopHeartbeat, Task heartbeat)
    {
        if (!stopHeartbeat.IsCancellationRequested)
        {
            await stopHeartbeat.CancelAsync();
        }

        await heartbeat;
    }
}
