namespace LabelPlatform.Core.Labelling;

/// <summary>What a label event did. Label, Noise and Reject are votes; Skip only marks the image as seen.</summary>
public enum LabelEventKind
{
    Label = 0,
    Noise = 1,
    Reject = 2,
    Skip = 3,
    Undo = 4,
    Review = 5,
}

/// <summary>Per-dataset labelling settings; a dataset without a row uses the defaults.</summary>
public class LabellingSettings
{
    public const int DefaultOverlap = 2;
    public const int MaxOverlap = 5;
    public const int DefaultLeaseSeconds = 120;

    public int DatasetId { get; set; }

    /// <summary>How many labellers must label each image before a consensus is drawn.</summary>
    public int Overlap { get; set; } = DefaultOverlap;

    /// <summary>How long an image handed to a labeller stays reserved for them.</summary>
    public int LeaseSeconds { get; set; } = DefaultLeaseSeconds;

    /// <summary>The embedding model used for suggestions and neighbours; null: the one with most vectors.</summary>
    public int? ModelId { get; set; }

    /// <summary>The order the queue hands out images.</summary>
    public Queue.QueueOrder Order { get; set; } = Queue.QueueOrder.Random;

    /// <summary>
    /// Whether labellers may see what an image came with: its import label (as suggestions drawn from it) and its
    /// folder and file name. Off by default, so the labels people give are evidence of their own, not an echo.
    /// </summary>
    public bool ShowImportLabels { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

/// <summary>
/// One submission from a client, keyed by the id the client generated: a resubmission (a retry after a lost answer)
/// finds this row and gets the stored result back instead of appending events twice.
/// </summary>
public class LabelSubmission
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public required string UserId { get; set; }
    public required string ClientId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// The audit trail: every labelling action, append-only (rows are never updated or deleted). Votes and final labels
/// are derived from these; <see cref="LabelVote"/> and <see cref="FinalLabel"/> are projections kept in step in the
/// same transaction.
/// </summary>
public class LabelEvent
{
    public long Id { get; set; }
    public long SubmissionId { get; set; }
    public LabelSubmission? Submission { get; set; }
    public int DatasetId { get; set; }
    public long ImageId { get; set; }
    public required string UserId { get; set; }
    public LabelEventKind Kind { get; set; }

    /// <summary>The class voted (Label, Noise when the dataset has a noise class, Review with a class).</summary>
    public int? ClassId { get; set; }

    /// <summary>For Review: the final label is "rejected (bad image)".</summary>
    public bool Rejected { get; set; }

    /// <summary>For Undo: the event it cancels.</summary>
    public long? UndoesEventId { get; set; }

    /// <summary>The first suggestion shown when the action was taken, so acceptance can be measured.</summary>
    public int? SuggestedClassId { get; set; }
    public double? SuggestionConfidence { get; set; }

    /// <summary>All suggestions shown, as "classId:confidence" separated by ';'.</summary>
    public string? Suggestions { get; set; }

    /// <summary>Where it came from: single, grid, review, bench.</summary>
    public required string Source { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A labeller's current vote on an image (the latest of their Label/Noise/Reject/Skip events not undone).</summary>
public class LabelVote
{
    public long ImageId { get; set; }
    public required string UserId { get; set; }
    public int DatasetId { get; set; }
    public long EventId { get; set; }
    public LabelEvent? Event { get; set; }
    public LabelEventKind Kind { get; set; }
    public int? ClassId { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A reviewer's decision for an image. <see cref="Version"/> is the concurrency token of reviewer edits.</summary>
public class FinalLabel
{
    public long ImageId { get; set; }
    public int DatasetId { get; set; }
    public int? ClassId { get; set; }
    public bool Rejected { get; set; }
    public long EventId { get; set; }
    public required string DecidedBy { get; set; }
    public DateTimeOffset DecidedAt { get; set; }
    public int Version { get; set; }
}

/// <summary>An image handed to a labeller, reserved for them until <see cref="ExpiresAt"/>.</summary>
public class LabelLease
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public long ImageId { get; set; }
    public required string UserId { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}
