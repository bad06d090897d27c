namespace LabelPlatform.Core.Jobs;

public enum JobChunkState
{
    Pending = 0,
    Running = 1,
    Done = 2,
}

/// <summary>
/// One share of a long run (embedding: a range of image ids) that any worker process may claim. Chunks are planned
/// once per run; a worker claims one with a conditional update, heartbeats its lease and marks it done; a chunk whose
/// lease lapsed (its worker was killed) is claimed again by another. The run's counters are the sums of its chunks'.
/// </summary>
public class JobChunk
{
    public long Id { get; set; }
    public long JobRunId { get; set; }

    /// <summary>Position in the run's plan (unique per run), so a second planner cannot add a second plan.</summary>
    public int Index { get; set; }

    /// <summary>Inclusive range of item ids (image ids for embedding).</summary>
    public long FirstItem { get; set; }
    public long LastItem { get; set; }

    /// <summary>Items the chunk had to do when it was planned.</summary>
    public int Total { get; set; }

    public JobChunkState State { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>The process (host:pid) that holds or last held it: the run page lists who did what.</summary>
    public string? Worker { get; set; }

    /// <summary>How many times it was claimed: above 1 means a worker died or gave it up and another resumed it.</summary>
    public int Attempts { get; set; }

    public int Processed { get; set; }
    public int Succeeded { get; set; }
    public int Duplicates { get; set; }
    public int Failed { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
}
