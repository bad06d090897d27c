using LabelPlatform.Core.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Jobs;

/// <summary>
/// Makes every job server take part in every chunked run: Hangfire hands a run's one job to one process, and which
/// process fetches a job is up to its queue, so fanning out N Hangfire jobs would not guarantee that each worker gets
/// one (one process can fetch them all). Instead each server polls for runs with a claimable chunk (pending, or
/// whose worker's lease lapsed) and joins them: one small query per <see cref="JobOptions.ChunkPollInterval"/>.
/// </summary>
public sealed class ChunkJoinService(JobChunkService chunks, ChunkedJobRunner runner, IEnumerable<IChunkedWork> works, ILogger<ChunkJoinService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var byKind = works.ToDictionary(w => w.Kind);
        var joined = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var (jobRunId, kind) in await chunks.ClaimableRunsAsync(stoppingToken))
                {
                    if (byKind.TryGetValue(kind, out var work) && !runner.IsActive(jobRunId))
                    {
                        logger.LogInformation("Joining chunked job run {JobRunId} ({Kind})", jobRunId, kind);
                        joined.Add(JoinAsync(jobRunId, work, stoppingToken));
                    }
                }

                joined.RemoveAll(t => t.IsCompleted);
                await Task.Delay(chunks.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A busy or restarting database: try again on the next tick.
                logger.LogWarning(ex, "Looking for chunked runs failed; retrying");
                await Task.Delay(chunks.PollInterval, stoppingToken);
            }
        }

        await Task.WhenAll(joined);
    }

    private async Task JoinAsync(long jobRunId, IChunkedWork work, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            await runner.RunAsync(jobRunId, work, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the chunk's lease lapses and another worker resumes it.
        }
        catch (Exception ex)
        {
            // The runner recorded the failure on the run; the Hangfire job of the run reports it.
            logger.LogError(ex, "Job run {JobRunId}: joined work failed", jobRunId);
        }
    }
}
