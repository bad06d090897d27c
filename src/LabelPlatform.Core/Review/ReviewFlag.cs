namespace LabelPlatform.Core.Review;

/// <summary>
/// An image someone sent to review (the browser's bulk "send to review"): one row per image, holding its latest flag.
/// It stays in the Flagged queue until a review decision is made on it: <see cref="FinalVersion"/> is the image's
/// final-label version when it was flagged (null: none), and any decision since moves the version on, which clears
/// the flag whichever page or API made the decision.
/// </summary>
public class ReviewFlag
{
    public const int MaxNoteLength = 500;

    public long Id { get; set; }
    public int DatasetId { get; set; }
    public long ImageId { get; set; }
    public required string FlaggedBy { get; set; }
    public DateTimeOffset FlaggedAt { get; set; }
    public string? Note { get; set; }
    public int? FinalVersion { get; set; }
}
