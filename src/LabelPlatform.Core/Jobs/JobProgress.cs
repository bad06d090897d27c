using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Jobs;

/// <summary>Raised inside a job when someone pressed Cancel on the Jobs page.</summary>
public sealed class JobCancelledException() : OperationCanceledException("The job was cancelled");

/// <summary>
/// Thread-safe progress counters for one run, written to its <see cref="JobRun"/> row at most every
/// <see cref="FlushInterval"/> (so a 9,000-item job makes a few hundred small updates, not 9,000), and the place where a
/// job learns that it was cancelled.
/// </summary>
public sealed class JobProgress(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock, long jobRunId) : IDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private readonly List<JobRunItemError> _pendingErrors = [];
    private int _processed, _succeeded, _duplicates, _failed;
    private int? _total;
    private string? _message;
    private DateTimeOffset _lastFlush = DateTimeOffset.MinValue;
    private readonly CancellationTokenSource _stopRequested = new();

    public long JobRunId => jobRunId;
    public int Processed => Volatile.Read(ref _processed);
    public int Succeeded => Volatile.Read(ref _succeeded);
    public int Duplicates => Volatile.Read(ref _duplicates);
    public int Failed => Volatile.Read(ref _failed);
    public bool CancelRequested => _stopRequested.IsCancellationRequested;

    /// <summary>Fires as soon as Cancel is seen (by a flush or the lease heartbeat), before the work token is cancelled.</summary>
    public CancellationToken StopRequested => _stopRequested.Token;

    /// <summary>
    /// When set, Cancel first fires <see cref="StopRequested"/> and gives the work this long to finish what it has in
    /// flight before the work token is cancelled: a crawl records the answer of a request the site has already seen
    /// instead of losing it. Null: the work token is cancelled at once.
    /// </summary>
    public TimeSpan? DrainOnCancel { get; set; }

    /// <summary>
    /// Set for a chunk of a chunked run: the counters go to the chunk's row (and the run's are summed from all chunks)
    /// instead of overwriting the run's, which other workers' chunks add to as well.
    /// </summary>
    public Func<PlatformDbContext, ChunkCounts, CancellationToken, Task>? CountsWriter { get; init; }

    public ChunkCounts Counts => new(Processed, Succeeded, Duplicates, Failed);

    /// <summary>Records that Cancel was pressed and fires <see cref="StopRequested"/>.</summary>
    public void SignalCancel()
    {
        try
        {
            _stopRequested.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run ended and disposed it; a late heartbeat must never throw.
        }
    }

    public void SetTotal(int total) => _total = total;

    public void SetMessage(string message) => _message = message;

    /// <summary>Replaces the counters, for jobs that count from their own durable state (a crawl's frontier) rather than item by item.</summary>
    public void SetCounts(int processed, int succeeded, int duplicates, int failed)
    {
        Volatile.Write(ref _processed, processed);
        Volatile.Write(ref _succeeded, succeeded);
        Volatile.Write(ref _duplicates, duplicates);
        Volatile.Write(ref _failed, failed);
    }

    public void Succeed() { Interlocked.Increment(ref _succeeded); Interlocked.Increment(ref _processed); }

    public void Duplicate() { Interlocked.Increment(ref _duplicates); Interlocked.Increment(ref _processed); }

    public void Fail(string item, string message)
    {
        Interlocked.Increment(ref _failed);
        Interlocked.Increment(ref _processed);
        lock (_gate)
        {
            _pendingErrors.Add(new JobRunItemError { JobRunId = jobRunId, Item = Clip(item, 2048), Message = Clip(message, 1000), CreatedAt = clock.GetUtcNow() });
        }
    }

    /// <summary>Writes counters when the interval has passed (or always with <paramref name="force"/>) and throws if the run was cancelled.</summary>
    public async Task FlushAsync(bool force = false, CancellationToken cancellationToken = default)
    {
        List<JobRunItemError> errors;
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            // A cancelled run writes its counters before it stops: work committed since the last flush must show.
            if (!force && now - _lastFlush < FlushInterval && !CancelRequested)
            {
                return;
            }

            _lastFlush = now;
            errors = [.. _pendingErrors];
            _pendingErrors.Clear();
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (errors.Count > 0)
        {
            db.JobRunItemErrors.AddRange(errors);
            await db.SaveChangesAsync(cancellationToken);
        }

        int processed = Processed, succeeded = Succeeded, duplicates = Duplicates, failed = Failed;
        var total = _total;
        var message = _message;
        if (CountsWriter is { } writeCounts)
        {
            await writeCounts(db, new ChunkCounts(processed, succeeded, duplicates, failed), cancellationToken);
            await db.JobRuns.Where(j => j.Id == jobRunId).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Message, message)
                .SetProperty(j => j.UpdatedAt, now), cancellationToken);
        }
        else
        {
            await db.JobRuns.Where(j => j.Id == jobRunId).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Total, total)
                .SetProperty(j => j.Processed, processed)
                .SetProperty(j => j.Succeeded, succeeded)
                .SetProperty(j => j.Duplicates, duplicates)
                .SetProperty(j => j.Failed, failed)
                .SetProperty(j => j.Message, message)
                .SetProperty(j => j.UpdatedAt, now), cancellationToken);
        }

        if (await db.JobRuns.Where(j => j.Id == jobRunId).Select(j => j.CancelRequested).FirstOrDefaultAsync(cancellationToken))
        {
            SignalCancel();
        }

        ThrowIfCancelled();
    }

    /// <summary>
    /// Runs CPU-bound <paramref name="work"/> off the caller's thread; every <see cref="FlushInterval"/> calls
    /// <paramref name="report"/> (to move the work's own counters into this progress) and flushes, so the page stays
    /// live and Cancel is seen. When the flush or the caller cancels, the work is stopped and awaited before rethrowing.
    /// </summary>
    public async Task<T> RunCpuBoundAsync<T>(Func<CancellationToken, T> work, Action report, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = Task.Run(() => work(stop.Token), stop.Token);
        try
        {
            while (!running.IsCompleted)
            {
                await Task.WhenAny(running, Task.Delay(FlushInterval, cancellationToken));
                report();
                await FlushAsync(cancellationToken: cancellationToken);
            }
        }
        catch
        {
            await stop.CancelAsync();
            try
            {
                await running;
            }
            catch (OperationCanceledException)
            {
                // Stopped on purpose.
            }

            throw;
        }

        var result = await running;
        report();
        return result;
    }

    public void ThrowIfCancelled()
    {
        if (CancelRequested)
        {
            throw new JobCancelledException();
        }
    }

    public void Dispose() => _stopRequested.Dispose();

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..max];
}
