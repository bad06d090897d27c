using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Jobs;

/// <summary>One planned share of a run: an inclusive id range and how many items it had to do.</summary>
public readonly record struct ChunkRange(long FirstItem, long LastItem, int Total);

/// <summary>Counters of one chunk (or the sums over a run's chunks).</summary>
public readonly record struct ChunkCounts(int Processed, int Succeeded, int Duplicates, int Failed);

/// <summary>Where a run's chunks stand, for the loop that decides whether to wait, resume or finish.</summary>
public readonly record struct ChunkStatus(int Pending, int Running, int Lapsed, int Done)
{
    public int Unfinished => Pending + Running + Lapsed;
}

/// <summary>
/// The database side of chunked runs: planning, claiming, lease renewal, completion and the run's aggregate counters.
/// Every state change is a conditional UPDATE … WHERE with an affected-row check, so it holds across processes and
/// machines on PostgreSQL as on SQLite, without an in-process lock.
/// </summary>
public sealed class JobChunkService(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock, IOptions<JobOptions> options)
{
    /// <summary>
    /// The run's lease owner while its chunks are worked: no single process holds a chunked run; every chunk heartbeat
    /// extends the run's lease, so the run reads Interrupted only when all of its workers are gone.
    /// </summary>
    public const string SharedOwner = "chunks";

    public TimeSpan LeaseDuration => options.Value.LeaseDuration;

    public int ChunkSize => options.Value.ChunkSize;

    public TimeSpan PollInterval => options.Value.ChunkPollInterval;

    /// <summary>Progress for one claimed chunk: its counters go to the chunk's row and the run's are summed from all chunks.</summary>
    public JobProgress CreateProgress(JobChunk chunk, string owner) => new(contexts, clock, chunk.JobRunId)
    {
        CountsWriter = (db, counts, ct) => WriteCountsAsync(db, chunk, owner, counts, ct),
    };

    public async Task<bool> HasPlanAsync(long jobRunId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.JobChunks.AnyAsync(c => c.JobRunId == jobRunId, cancellationToken);
    }

    /// <summary>Stores the plan in one transaction and sets the run's total; false when another process planned it first.</summary>
    public async Task<bool> AddPlanAsync(long jobRunId, IReadOnlyList<ChunkRange> plan, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.JobChunks.AddRange(plan.Select((range, index) => new JobChunk
        {
            JobRunId = jobRunId,
            Index = index,
            FirstItem = range.FirstItem,
            LastItem = range.LastItem,
            Total = range.Total,
            State = JobChunkState.Pending,
        }));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            return false;
        }

        var total = plan.Sum(r => r.Total);
        await db.JobRuns.Where(j => j.Id == jobRunId).ExecuteUpdateAsync(s => s.SetProperty(j => j.Total, total), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Claims the first pending chunk, or one whose worker's lease lapsed, for <paramref name="owner"/>. Null when
    /// none is claimable right now (all done, or held by live workers) or the run is no longer running.
    /// </summary>
    public async Task<JobChunk?> ClaimNextAsync(long jobRunId, string owner, string worker, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        while (true)
        {
            var now = clock.GetUtcNow();
            var candidates = await db.JobChunks.AsNoTracking()
                .Where(c => c.JobRunId == jobRunId && db.JobRuns.Any(j => j.Id == jobRunId && j.State == JobState.Running && !j.CancelRequested))
                .Where(c => c.State == JobChunkState.Pending || (c.State == JobChunkState.Running && c.LeaseExpiresAt < now))
                .OrderBy(c => c.Index).Select(c => c.Id).Take(8).ToListAsync(cancellationToken);
            if (candidates.Count == 0)
            {
                return null;
            }

            var until = now + LeaseDuration;
            foreach (var id in candidates)
            {
                // The same condition again inside the UPDATE: of two processes racing for this chunk, one changes the row.
                var claimed = await db.JobChunks
                    .Where(c => c.Id == id && (c.State == JobChunkState.Pending || (c.State == JobChunkState.Running && c.LeaseExpiresAt < now)))
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(c => c.State, JobChunkState.Running)
                        .SetProperty(c => c.LeaseOwner, owner)
                        .SetProperty(c => c.LeaseExpiresAt, until)
                        .SetProperty(c => c.Worker, worker)
                        .SetProperty(c => c.Attempts, c => c.Attempts + 1)
                        .SetProperty(c => c.StartedAt, now)
                        .SetProperty(c => c.Processed, 0)
                        .SetProperty(c => c.Succeeded, 0)
                        .SetProperty(c => c.Duplicates, 0)
                        .SetProperty(c => c.Failed, 0), cancellationToken);
                if (claimed == 1)
                {
                    await ExtendRunLeaseAsync(db, jobRunId, until, cancellationToken);
                    return await db.JobChunks.AsNoTracking().FirstAsync(c => c.Id == id, cancellationToken);
                }
            }
        }
    }

    /// <summary>Extends the chunk's lease (and the run's shared one); Lost when another worker took the chunk over.</summary>
    public async Task<JobRunService.LeaseState> RenewAsync(JobChunk chunk, string owner, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var until = clock.GetUtcNow() + LeaseDuration;
        var renewed = await db.JobChunks.Where(c => c.Id == chunk.Id && c.LeaseOwner == owner && c.State == JobChunkState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LeaseExpiresAt, until), cancellationToken);
        if (renewed == 0)
        {
            return JobRunService.LeaseState.Lost;
        }

        await ExtendRunLeaseAsync(db, chunk.JobRunId, until, cancellationToken);
        var cancel = await db.JobRuns.Where(j => j.Id == chunk.JobRunId).Select(j => j.CancelRequested).FirstAsync(cancellationToken);
        return cancel ? JobRunService.LeaseState.CancelRequested : JobRunService.LeaseState.Held;
    }

    /// <summary>Writes the chunk's counters (while its lease is the caller's) and the run's sums over all its chunks.</summary>
    public static async Task WriteCountsAsync(PlatformDbContext db, JobChunk chunk, string owner, ChunkCounts counts, CancellationToken cancellationToken)
    {
        await db.JobChunks.Where(c => c.Id == chunk.Id && c.LeaseOwner == owner && c.State == JobChunkState.Running)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Processed, counts.Processed)
                .SetProperty(c => c.Succeeded, counts.Succeeded)
                .SetProperty(c => c.Duplicates, counts.Duplicates)
                .SetProperty(c => c.Failed, counts.Failed), cancellationToken);
        await AggregateAsync(db, chunk.JobRunId, cancellationToken);
    }

    /// <summary>Marks the chunk done with its final counters; false when its lease was lost meanwhile (the other worker's counts stand).</summary>
    public async Task<bool> CompleteAsync(JobChunk chunk, string owner, ChunkCounts counts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var done = await db.JobChunks.Where(c => c.Id == chunk.Id && c.LeaseOwner == owner && c.State == JobChunkState.Running)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.State, JobChunkState.Done)
                .SetProperty(c => c.LeaseOwner, (string?)null)
                .SetProperty(c => c.LeaseExpiresAt, (DateTimeOffset?)null)
                .SetProperty(c => c.FinishedAt, now)
                .SetProperty(c => c.Processed, counts.Processed)
                .SetProperty(c => c.Succeeded, counts.Succeeded)
                .SetProperty(c => c.Duplicates, counts.Duplicates)
                .SetProperty(c => c.Failed, counts.Failed), cancellationToken);
        await AggregateAsync(db, chunk.JobRunId, cancellationToken);
        return done == 1;
    }

    /// <summary>Sets the run's counters to the sums over its chunks (in SQL, so concurrent writers never overwrite each other's counts).</summary>
    public static Task AggregateAsync(PlatformDbContext db, long jobRunId, CancellationToken cancellationToken) =>
        db.JobRuns.Where(j => j.Id == jobRunId).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Processed, j => db.JobChunks.Where(c => c.JobRunId == j.Id).Sum(c => c.Processed))
            .SetProperty(j => j.Succeeded, j => db.JobChunks.Where(c => c.JobRunId == j.Id).Sum(c => c.Succeeded))
            .SetProperty(j => j.Duplicates, j => db.JobChunks.Where(c => c.JobRunId == j.Id).Sum(c => c.Duplicates))
            .SetProperty(j => j.Failed, j => db.JobChunks.Where(c => c.JobRunId == j.Id).Sum(c => c.Failed)), cancellationToken);

    public async Task<ChunkStatus> StatusAsync(long jobRunId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var rows = await db.JobChunks.AsNoTracking().Where(c => c.JobRunId == jobRunId)
            .Select(c => new { c.State, c.LeaseExpiresAt }).ToListAsync(cancellationToken);
        return new ChunkStatus(
            rows.Count(r => r.State == JobChunkState.Pending),
            rows.Count(r => r.State == JobChunkState.Running && !(r.LeaseExpiresAt < now)),
            rows.Count(r => r.State == JobChunkState.Running && r.LeaseExpiresAt < now),
            rows.Count(r => r.State == JobChunkState.Done));
    }

    /// <summary>
    /// Ends the run as Succeeded when every chunk is done, in one conditional UPDATE: of all the workers that see the
    /// last chunk finish, exactly one changes the row (true for that one).
    /// </summary>
    public async Task<bool> TryCompleteRunAsync(long jobRunId, string message, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        var now = clock.GetUtcNow();
        await AggregateAsync(db, jobRunId, CancellationToken.None);
        var completed = await db.JobRuns
            .Where(j => j.Id == jobRunId && j.State == JobState.Running && !j.CancelRequested)
            .Where(j => !db.JobChunks.Any(c => c.JobRunId == j.Id && c.State != JobChunkState.Done))
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.State, JobState.Succeeded)
                .SetProperty(j => j.Message, message)
                .SetProperty(j => j.FinishedAt, now)
                .SetProperty(j => j.UpdatedAt, now)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null), CancellationToken.None);
        return completed == 1;
    }

    /// <summary>Gives the run's lease from its planner to all of its chunk workers.</summary>
    public async Task ShareRunLeaseAsync(long jobRunId, string planner, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var until = clock.GetUtcNow() + LeaseDuration;
        await db.JobRuns.Where(j => j.Id == jobRunId && j.LeaseOwner == planner)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseOwner, SharedOwner).SetProperty(j => j.LeaseExpiresAt, until), cancellationToken);
    }

    /// <summary>The run's chunks in plan order, for the run page.</summary>
    public async Task<List<JobChunk>> ListAsync(long jobRunId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.JobChunks.AsNoTracking().Where(c => c.JobRunId == jobRunId).OrderBy(c => c.Index).ToListAsync(cancellationToken);
    }

    /// <summary>Runs with a chunk that a worker could claim now: what an idle worker process joins.</summary>
    public async Task<List<(long JobRunId, string Kind)>> ClaimableRunsAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var rows = await db.JobRuns.AsNoTracking()
            .Where(j => j.State == JobState.Running && !j.CancelRequested && j.LeaseOwner == SharedOwner)
            .Where(j => db.JobChunks.Any(c => c.JobRunId == j.Id && (c.State == JobChunkState.Pending || (c.State == JobChunkState.Running && c.LeaseExpiresAt < now))))
            .OrderBy(j => j.Id).Select(j => new { j.Id, j.Kind }).Take(16).ToListAsync(cancellationToken);
        return rows.Select(r => (r.Id, r.Kind)).ToList();
    }

    private static Task<int> ExtendRunLeaseAsync(PlatformDbContext db, long jobRunId, DateTimeOffset until, CancellationToken cancellationToken) =>
        db.JobRuns.Where(j => j.Id == jobRunId && j.LeaseOwner == SharedOwner && (j.LeaseExpiresAt == null || j.LeaseExpiresAt < until))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, until), cancellationToken);
}
