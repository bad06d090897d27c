using LabelPlatform.Core.Images;

namespace LabelPlatform.Core.Datasets;

public enum IngestResult
{
    /// <summary>The dataset already holds these bytes: nothing was decoded.</summary>
    Known,

    /// <summary>The validator refused the bytes (not an image, a cap, a bomb).</summary>
    Invalid,

    /// <summary>A valid image the caller's own rule refused (a crawl's minimum side, a Content-Type mismatch).</summary>
    Refused,

    /// <summary>Checked and stored, original and thumbnail; the row is the caller's to commit.</summary>
    Stored,
}

/// <summary>What one file or download became; <see cref="Image"/> is set only when <see cref="IngestResult.Stored"/>.</summary>
public sealed record IngestOutcome(IngestResult Result, string Sha256, ValidatedImage? Image, string? RejectionReason);

/// <summary>
/// The one ingest step of imported and crawled images: hash, skip bytes the dataset holds, validate (one decode that
/// also makes the thumbnail), apply the caller's rule, store both; <see cref="Row"/> is the row the caller commits (an
/// import in batches, a crawl with its provenance).
/// </summary>
public sealed class ImageIngest(ImageValidator validator, ImageStore store)
{
    public ImageValidator Validator => validator;

    public async Task<IngestOutcome> CheckAndStoreAsync(byte[] bytes, Func<string, bool> isKnown, Func<ValidatedImage, string?>? rule, CancellationToken cancellationToken)
    {
        var sha = ImageValidator.Sha256Hex(bytes);
        if (isKnown(sha))
        {
            return new IngestOutcome(IngestResult.Known, sha, null, null);
        }

        var check = validator.Check(bytes, sha);
        if (!check.Accepted)
        {
            return new IngestOutcome(IngestResult.Invalid, sha, null, check.RejectionReason);
        }

        if (rule?.Invoke(check.Image!) is { } refusal)
        {
            return new IngestOutcome(IngestResult.Refused, sha, null, refusal);
        }

        await store.SaveAsync(check.Image!, bytes, cancellationToken);
        return new IngestOutcome(IngestResult.Stored, sha, check.Image, null);
    }

    public static DatasetImage Row(ValidatedImage image, int datasetId, ImageSource source, string origin, long? jobRunId, DateTimeOffset now) =>
        DatasetImage.From(image, datasetId, source, origin, jobRunId, now);
}
