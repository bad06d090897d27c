using System.Text.Json;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Jobs;

/// <summary>Hands a created <see cref="JobRun"/> to the background job system (Hangfire in the jobs project).</summary>
public interface IJobScheduler
{
    /// <summary>Queues the run and returns the scheduler's job id.</summary>
    string Enqueue(JobRun run);
}

public sealed class JobRunService(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock, IJobScheduler scheduler, IOptions<JobOptions> options)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Records a run and queues it. The row exists before the job, so the Jobs page shows it at once.</summary>
    public async Task<JobRun> CreateAndEnqueueAsync(string kind, int? datasetId, object parameters, string? startedBy, CancellationToken cancellationToken = default)
    {
        var run = await CreateAsync(kind, datasetId, parameters, startedBy, cancellationToken);
        var hangfireId = scheduler.Enqueue(run);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.JobRuns.Where(j => j.Id == run.Id).ExecuteUpdateAsync(s => s.SetProperty(j => j.HangfireJobId, hangfireId), cancellationToken);
        run.HangfireJobId = hangfireId;
        return run;
    }

    /// <summary>Records a run without queueing it (the CLI runs jobs in its own process).</summary>
    public async Task<JobRun> CreateAsync(string kind, int? datasetId, object parameters, string? startedBy, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = new JobRun
        {
            Kind = kind,
            DatasetId = datasetId,
            ParametersJson = JsonSerializer.Serialize(parameters, Json),
            StartedBy = startedBy,
            State = JobState.Queued,
            CreatedAt = clock.GetUtcNow(),
        };
        db.JobRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        return run;
    }

    /// <summary>
    /// The newest interrupted run (see <see cref="JobRun.IsInterrupted"/>) of this kind, dataset and parameters: what a
    /// CLI re-run of the same command resumes instead of starting a second run beside a "Running" one that never ends.
    /// </summary>
    public async Task<JobRun?> FindInterruptedAsync(string kind, int? datasetId, object parameters, CancellationToken cancellationToken = default)
    {
        var json = JsonSerializer.Serialize(parameters, Json);
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var candidates = await db.JobRuns.AsNoTracking()
            .Where(j => j.Kind == kind && j.DatasetId == datasetId && j.State == JobState.Running && j.ParametersJson == json)
            .ToListAsync(cancellationToken);
        return candidates.Where(j => j.IsInterrupted(now)).OrderByDescending(j => j.Id).FirstOrDefault();
    }

    /// <summary>
    /// Queues an interrupted run again; the job takes over the lapsed lease and resumes from its checkpoint. False when
    /// the run is not interrupted (finished, queued, or still held by a live process).
    /// </summary>
    public async Task<bool> ResumeAsync(long id, CancellationToken cancellationToken = default)
    {
        var run = await FindAsync(id, cancellationToken);
        if (run is null || !run.IsInterrupted(clock.GetUtcNow()))
        {
            return false;
        }

        var hangfireId = scheduler.Enqueue(run);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.JobRuns.Where(j => j.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.HangfireJobId, hangfireId)
            .SetProperty(j => j.Message, "Resume queued after an interruption"), cancellationToken);
        return true;
    }

    public async Task<JobRun?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.JobRuns.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
    }

    public static T ReadParameters<T>(JobRun run) =>
        JsonSerializer.Deserialize<T>(run.ParametersJson, Json) ?? throw new InvalidOperationException($"Job run {run.Id} has no parameters");

    public enum StartOutcome
    {
        /// <summary>The run is claimed by the caller and marked Running.</summary>
        Started,

        /// <summary>Unknown, finished, or cancelled while queued: nothing to do.</summary>
        NothingToDo,

        /// <summary>Another live process holds the run's lease; try again later.</summary>
        HeldElsewhere,
    }

    /// <summary>
    /// Claims the run for <paramref name="owner"/> and marks it running. A run found Running whose lease has lapsed
    /// (its process died) is taken over and resumed.
    /// </summary>
    public async Task<(StartOutcome Outcome, JobRun? Run)> StartAsync(long id, string owner, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var existing = await db.JobRuns.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
        if (existing is null || existing.IsFinished)
        {
            return (StartOutcome.NothingToDo, null);
        }

        var now = clock.GetUtcNow();
        if (existing.CancelRequested)
        {
            await FinishAsync(id, JobState.Cancelled, "Cancelled before it started", null);
            return (StartOutcome.NothingToDo, null);
        }

        // Atomic claim: only one process can move the lease to itself.
        var until = now + options.Value.LeaseDuration;
        var claimed = await db.JobRuns
            .Where(j => j.Id == id && j.State != JobState.Succeeded && j.State != JobState.Failed && j.State != JobState.Cancelled)
            .Where(j => j.LeaseOwner == null || j.LeaseOwner == owner || j.LeaseExpiresAt < now)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, owner).SetProperty(j => j.LeaseExpiresAt, until), cancellationToken);
        if (claimed == 0)
        {
            return (StartOutcome.HeldElsewhere, null);
        }

        var run = await db.JobRuns.FirstAsync(j => j.Id == id, cancellationToken);
        run.Message = run.State == JobState.Running ? "Resumed after an interruption" : "Started";
        run.State = JobState.Running;
        run.StartedAt ??= now;
        run.UpdatedAt = now;
        run.Machine = Machine;
        run.Error = null;
        await db.SaveChangesAsync(cancellationToken);
        return (StartOutcome.Started, run);
    }

    /// <summary>This process's host and CPU, as recorded on the runs it executes.</summary>
    public static string Machine { get; } = $"{Environment.MachineName}: {Hardware.CpuInfo.Current.Describe()}";

    public enum LeaseState
    {
        Held,
        Lost,
        CancelRequested,
    }

    /// <summary>Extends the caller's lease, and says whether the run was lost to another process or cancelled.</summary>
    public async Task<LeaseState> RenewLeaseAsync(long id, string owner, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var until = clock.GetUtcNow() + options.Value.LeaseDuration;
        var renewed = await db.JobRuns.Where(j => j.Id == id && j.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, until), cancellationToken);
        if (renewed == 0)
        {
            return LeaseState.Lost;
        }

        var cancel = await db.JobRuns.Where(j => j.Id == id).Select(j => j.CancelRequested).FirstAsync(cancellationToken);
        return cancel ? LeaseState.CancelRequested : LeaseState.Held;
    }

    public TimeSpan LeaseDuration => options.Value.LeaseDuration;

    public Task CompleteAsync(long id, string? message) => FinishAsync(id, JobState.Succeeded, message, null);

    public Task FailAsync(long id, string error) => FinishAsync(id, JobState.Failed, "Failed", error);

    public Task MarkCancelledAsync(long id) => FinishAsync(id, JobState.Cancelled, "Cancelled", null);

    /// <summary>A stopped run that its owner can resume (a paused crawl) reads "Paused"; one still running is left alone.</summary>
    public async Task MarkPausedAsync(long id)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        await db.JobRuns.Where(j => j.Id == id && j.State == JobState.Cancelled)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.Message, JobRun.PausedMessage), CancellationToken.None);
    }

    /// <summary>
    /// Asks a run to stop. A queued run is cancelled at once (its Hangfire job finds nothing to do); a running one
    /// stops at its next progress report or lease heartbeat, whichever comes first.
    /// </summary>
    public async Task<bool> RequestCancelAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.JobRuns.FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
        if (run is null || run.IsFinished)
        {
            return false;
        }

        run.CancelRequested = true;
        if (run.State == JobState.Queued)
        {
            run.State = JobState.Cancelled;
            run.FinishedAt = clock.GetUtcNow();
            run.Message = "Cancelled before it started";
        }

        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    public JobProgress CreateProgress(long id) => new(contexts, clock, id);

    private async Task FinishAsync(long id, JobState state, string? message, string? error)
    {
        // Not cancellable: the outcome must be recorded even while the host shuts down.
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        var now = clock.GetUtcNow();
        await db.JobRuns.Where(j => j.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.State, state)
            .SetProperty(j => j.Message, message)
            .SetProperty(j => j.Error, error == null ? null : error.Length > 4000 ? error.Substring(0, 4000) : error)
            .SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.UpdatedAt, now)
            .SetProperty(j => j.LeaseOwner, (string?)null)
            .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null), CancellationToken.None);
    }
}
