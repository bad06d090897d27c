using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Core.Jobs;

/// <summary>
/// The frame of a chunked run, executed by every process that takes part (the Hangfire job, the CLI, or an idle job
/// server joining in): plan the run once, then claim chunks one after another — pending ones, or ones whose worker's
/// lease lapsed — with a heartbeat per chunk, until none is left; the process that sees the last chunk done ends the
/// run. A process works one loop per run; a second call for a run already looping here returns at once.
/// </summary>
public sealed class ChunkedJobRunner(JobRunService runs, JobChunkService chunks, ILogger<ChunkedJobRunner> logger)
{
    private readonly ConcurrentDictionary<long, byte> _active = new();

    /// <summary>This process, as the run page lists it.</summary>
    public static string Worker { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    public bool IsActive(long jobRunId) => _active.ContainsKey(jobRunId);

    /// <summary>
    /// Takes part in the run until no chunk is left. True when this process completed the run (ended it Succeeded);
    /// false when another did, it was cancelled or failed, or this process was already working on it.
    /// </summary>
    public async Task<bool> RunAsync(long jobRunId, IChunkedWork work, CancellationToken cancellationToken)
    {
        if (!_active.TryAdd(jobRunId, 0))
        {
            return false;
        }

        try
        {
            var owner = $"{Worker}:{Guid.NewGuid():N}";
            var run = await JoinAsync(jobRunId, owner, work, cancellationToken);
            return run is not null && await LoopAsync(run, owner, work, cancellationToken);
        }
        finally
        {
            _active.TryRemove(jobRunId, out _);
        }
    }

    /// <summary>Starts (or resumes) the run and makes sure it is planned; null when there is nothing to do.</summary>
    private async Task<JobRun?> JoinAsync(long jobRunId, string owner, IChunkedWork work, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (outcome, run) = await runs.StartAsync(jobRunId, owner, cancellationToken);
            if (outcome == JobRunService.StartOutcome.NothingToDo)
            {
                return null;
            }

            if (outcome == JobRunService.StartOutcome.Started)
            {
                // Planning is under the run's own lease, so one process plans; a planner killed mid-way left nothing
                // (the plan is one transaction) and its lapsed lease lets the next one plan.
                if (!await chunks.HasPlanAsync(jobRunId, cancellationToken))
                {
                    var plan = await work.PlanAsync(run!, chunks.ChunkSize, cancellationToken);
                    await chunks.AddPlanAsync(jobRunId, plan, cancellationToken);
                    logger.LogInformation("Job run {JobRunId} planned in {Chunks} chunks", jobRunId, plan.Count);
                }

                await chunks.ShareRunLeaseAsync(jobRunId, owner, cancellationToken);
                return run;
            }

            var current = await runs.FindAsync(jobRunId, cancellationToken);
            if (current is null || current.IsFinished)
            {
                return null;
            }

            if (current.LeaseOwner == JobChunkService.SharedOwner)
            {
                return current;
            }

            // Another process is planning it: wait for the plan, or for that planner's lease to lapse.
            await Task.Delay(chunks.PollInterval, cancellationToken);
        }
    }

    private async Task<bool> LoopAsync(JobRun run, string owner, IChunkedWork work, CancellationToken cancellationToken)
    {
        while (true)
        {
            var chunk = await chunks.ClaimNextAsync(run.Id, owner, Worker, cancellationToken);
            if (chunk is null)
            {
                var current = await runs.FindAsync(run.Id, cancellationToken);
                if (current is null || current.IsFinished)
                {
                    return false;
                }

                if (current.CancelRequested)
                {
                    await runs.MarkCancelledAsync(run.Id);
                    return false;
                }

                var status = await chunks.StatusAsync(run.Id, cancellationToken);
                if (status.Unfinished == 0)
                {
                    var completed = await chunks.TryCompleteRunAsync(run.Id, await work.DescribeAsync(run, cancellationToken), cancellationToken);
                    if (completed)
                    {
                        logger.LogInformation("Job run {JobRunId} completed: all {Chunks} chunks done", run.Id, status.Done);
                    }

                    return completed;
                }

                // Chunks held by live workers: wait until they finish, or until a lease lapses (a killed worker) and
                // this process resumes that chunk.
                await Task.Delay(chunks.PollInterval, cancellationToken);
                continue;
            }

            var outcome = await RunChunkAsync(run, chunk, owner, work, cancellationToken);
            if (outcome == ChunkOutcome.Stop)
            {
                return false;
            }
        }
    }

    private enum ChunkOutcome
    {
        Done,
        Lost,
        Stop,
    }

    private async Task<ChunkOutcome> RunChunkAsync(JobRun run, JobChunk chunk, string owner, IChunkedWork work, CancellationToken cancellationToken)
    {
        using var workToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopHeartbeat = new CancellationTokenSource();
        using var progress = chunks.CreateProgress(chunk, owner);
        var lost = new StrongBox();
        var heartbeat = HeartbeatAsync(chunk, owner, workToken, progress, lost, stopHeartbeat.Token);
        try
        {
            await work.RunChunkAsync(run, chunk, progress, workToken.Token);
            await StopAsync(stopHeartbeat, heartbeat);
            if (!await chunks.CompleteAsync(chunk, owner, progress.Counts, CancellationToken.None))
            {
                logger.LogWarning("Job run {JobRunId}: chunk {Chunk} was taken over before it was marked done", run.Id, chunk.Index);
            }

            return ChunkOutcome.Done;
        }
        catch (OperationCanceledException) when (progress.CancelRequested)
        {
            await runs.MarkCancelledAsync(run.Id);
            logger.LogInformation("Job run {JobRunId} cancelled", run.Id);
            return ChunkOutcome.Stop;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the chunk stays Running; its lease lapses and another worker (or this one restarted) resumes it.
            logger.LogWarning("Job run {JobRunId}: chunk {Chunk} interrupted by shutdown", run.Id, chunk.Index);
            throw;
        }
        catch (OperationCanceledException) when (lost.Value)
        {
            return ChunkOutcome.Lost;
        }
        catch (Exception ex) when (work.IsExpectedFailure(ex))
        {
            await runs.FailAsync(run.Id, ex.Message);
            logger.LogWarning("Job run {JobRunId} failed in chunk {Chunk}: {Error}", run.Id, chunk.Index, ex.Message);
            return ChunkOutcome.Stop;
        }
        catch (Exception ex)
        {
            await runs.FailAsync(run.Id, $"{ex.GetType().Name}: {ex.Message}");
            logger.LogError(ex, "Job run {JobRunId} failed unexpectedly in chunk {Chunk}", run.Id, chunk.Index);
            throw;
        }
        finally
        {
            await StopAsync(stopHeartbeat, heartbeat);
        }
    }

    /// <summary>Renews the chunk's lease every third of its duration (at most every 2 s); stops the work on Cancel or a lost lease.</summary>
    private async Task HeartbeatAsync(JobChunk chunk, string owner, CancellationTokenSource work, JobProgress progress, StrongBox lost, CancellationToken stop)
    {
        var interval = chunks.LeaseDuration / 3;
        using var timer = new PeriodicTimer(interval < HeartbeatCeiling ? interval : HeartbeatCeiling);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                JobRunService.LeaseState state;
                try
                {
                    state = await chunks.RenewAsync(chunk, owner, stop);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Job run {JobRunId}: chunk lease renewal failed; retrying", chunk.JobRunId);
                    continue;
                }

                if (state == JobRunService.LeaseState.Held)
                {
                    continue;
                }

                if (state == JobRunService.LeaseState.Lost)
                {
                    logger.LogWarning("Job run {JobRunId}: chunk {Chunk} lost its lease to another worker", chunk.JobRunId, chunk.Index);
                    lost.Value = true;
                }
                else
                {
                    progress.SignalCancel();
                }

                await work.CancelAsync();
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // The chunk ended.
        }
    }

    private static readonly TimeSpan HeartbeatCeiling = TimeSpan.FromSeconds(2);

    private sealed class StrongBox
    {
        public volatile bool Value;
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
