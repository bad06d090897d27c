using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Jobs;

public enum JobState
{
    Queued = 0,
    Running = 1,
    Succeeded = 2,
    Failed = 3,
    Cancelled = 4,
}

public static class JobKinds
{
    public const string Import = "import";
    public const string Embed = "embed";
    public const string Evaluate = "evaluate";
    public const string Crawl = "crawl";
    public const string Train = "train";
    public const string Map = "map";
}

/// <summary>
/// The platform's own record of a background job: what it is doing, how far it got and what went wrong.
/// Hangfire runs the work; this row is what people see and what a restarted job resumes from.
/// </summary>
public class JobRun
{
    public long Id { get; set; }
    public required string Kind { get; set; }
    public JobState State { get; set; }
    public int? DatasetId { get; set; }

    /// <summary>Kind-specific parameters as JSON (e.g. the import source).</summary>
    public string ParametersJson { get; set; } = "{}";

    /// <summary>Items to process, when known; null while the job is still counting.</summary>
    public int? Total { get; set; }
    public int Processed { get; set; }
    public int Succeeded { get; set; }
    public int Duplicates { get; set; }
    public int Failed { get; set; }

    /// <summary>Short human-readable status line (the current phase, or why the job failed).</summary>
    public string? Message { get; set; }
    public string? Error { get; set; }
    public string? StartedBy { get; set; }
    public string? HangfireJobId { get; set; }
    public bool CancelRequested { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>
    /// Which process executes the run, until when. Hangfire may hand the same job to a second worker (a job that
    /// outlives the storage's invisibility timeout, or one whose worker died); the lease makes sure only one executes
    /// it, and that a dead worker's run is taken over once its lease has lapsed.
    /// </summary>
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>
    /// The host and processor that last executed the run (see <see cref="Hardware.CpuInfo"/>): numeric results such as
    /// int8 embeddings depend on the CPU, so reports can say where their vectors were computed.
    /// </summary>
    public string? Machine { get; set; }

    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    /// <summary>
    /// Marked running, but its lease lapsed: the process executing it stopped (killed, crashed, machine gone) without
    /// recording an outcome. It is resumable: a resumed run skips what its last checkpoint stored.
    /// </summary>
    public bool IsInterrupted(DateTimeOffset now) => State == JobState.Running && LeaseExpiresAt is { } until && until < now;

    /// <summary>The message of a run stopped to be resumed later (a paused crawl): shown as "Paused", not "Cancelled".</summary>
    public const string PausedMessage = "Paused: resume goes on from where it stopped";

    /// <summary>The state as people should read it: an interrupted run is not "Running", a paused one not "Cancelled".</summary>
    public string DisplayState(DateTimeOffset now) => IsInterrupted(now) ? "Interrupted"
        : State == JobState.Cancelled && Message == PausedMessage ? "Paused"
        : State.ToString();

    public double? ProgressFraction => Total is > 0 ? Math.Clamp((double)Processed / Total.Value, 0, 1) : null;
}

/// <summary>Bound from "Jobs".</summary>
public sealed class JobOptions
{
    public const string Section = "Jobs";

    /// <summary>How long a run stays claimed without a heartbeat; a dead worker's run is resumed after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Niceness (0-19) of the threads that run batch jobs' CPU-heavy work (embedding), so interactive requests are
    /// scheduled first on a shared machine; 0 runs them at the web's priority.
    /// </summary>
    [Range(0, 19)]
    public int BackgroundNice { get; set; } = 10;

    /// <summary>Threads for that work; 0 = one per core.</summary>
    [Range(0, 1024)]
    public int BackgroundThreads { get; set; }

    /// <summary>
    /// Items per chunk of a chunked run (embedding: images per id range). Each chunk is claimed by one worker process;
    /// smaller chunks spread a run over more workers and lose less to a killed one, larger ones cost fewer claims.
    /// </summary>
    [Range(1, 1_000_000)]
    public int ChunkSize { get; set; } = 256;

    /// <summary>How often an idle job server looks for chunked runs it could help with, and a waiting worker re-checks its run.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ChunkPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>One item a job could not process; the job went on.</summary>
public class JobRunItemError
{
    public long Id { get; set; }
    public long JobRunId { get; set; }
    public required string Item { get; set; }
    public required string Message { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
