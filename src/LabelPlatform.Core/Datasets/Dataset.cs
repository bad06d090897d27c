namespace LabelPlatform.Core.Datasets;

/// <summary>A named collection of images with its own class taxonomy.</summary>
public class Dataset
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? CreatedBy { get; set; }

    public List<ImageClass> Classes { get; set; } = [];
    public List<DatasetImage> Images { get; set; } = [];
}

/// <summary>One class of a dataset's taxonomy. At most one class per dataset is the noise/background class.</summary>
public class ImageClass
{
    public const int MaxNameLength = 200;

    /// <summary>Class names come from folder names and people: any text of 1-200 characters without control characters.</summary>
    public static bool IsValidName(string? name) => name is { Length: >= 1 and <= MaxNameLength } && !name.Any(char.IsControl);

    public int Id { get; set; }
    public int DatasetId { get; set; }
    public Dataset? Dataset { get; set; }
    public required string Name { get; set; }
    public bool IsNoise { get; set; }

    /// <summary>A key that picks this class on the labelling pages ("F1".."F12", "Alt+A".."Alt+Z", "Alt+0".."Alt+9"); null: none.</summary>
    public string? Hotkey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public const int MaxHotkeyLength = 6;

    /// <summary>Alt+ these letters are the labelling pages' own actions (noise, reject, skip, expand, more, undo, full screen).</summary>
    public const string ReservedAltKeys = "NXSEMUF";

    /// <summary>Letters and digits alone type into the class filter, so a hotkey is a function key or takes Alt.</summary>
    public static bool IsValidHotkey(string? key) =>
        key is not null && (System.Text.RegularExpressions.Regex.IsMatch(key, "^F([1-9]|1[0-2])$")
            || (System.Text.RegularExpressions.Regex.IsMatch(key, "^Alt\\+[A-Z0-9]$") && !ReservedAltKeys.Contains(key[^1], StringComparison.Ordinal)));
}

public enum ImageSource
{
    Import = 0,
    Upload = 1,
    Crawl = 2,
}

/// <summary>
/// An accepted image of a dataset. The bytes live in the content-addressed store under <see cref="Sha256"/>;
/// <see cref="SourceClassId"/> is the label the image came with (e.g. its folder) and is never edited by labellers:
/// human labels are kept apart as their own events.
/// </summary>
public class DatasetImage
{
    /// <summary>The row for an image the validator accepted and the store holds: what imports and crawls record alike.</summary>
    public static DatasetImage From(Images.ValidatedImage image, int datasetId, ImageSource source, string origin, long? jobRunId, DateTimeOffset createdAt) => new()
    {
        DatasetId = datasetId,
        Sha256 = image.Sha256,
        Width = image.Width,
        Height = image.Height,
        Format = image.Format,
        Bytes = image.Bytes,
        Source = source,
        Origin = origin,
        JobRunId = jobRunId,
        CreatedAt = createdAt,
    };

    public long Id { get; set; }
    public int DatasetId { get; set; }
    public Dataset? Dataset { get; set; }

    /// <summary>Lower-case hex SHA-256 of the file's bytes.</summary>
    public required string Sha256 { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }

    /// <summary>Format identified from the content (JPEG, PNG, GIF, BMP, WEBP), never from the file name.</summary>
    public required string Format { get; set; }
    public long Bytes { get; set; }
    public ImageSource Source { get; set; }

    /// <summary>Where the file came from: a path relative to the import root, an archive entry, or a URL.</summary>
    public required string Origin { get; set; }
    public int? SourceClassId { get; set; }
    public ImageClass? SourceClass { get; set; }
    public long? JobRunId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>64-bit dHash (see <see cref="Images.PerceptualHash"/>) stored as its bit pattern; null for images from before it was kept.</summary>
    public long? PerceptualHash { get; set; }

    /// <summary>
    /// Set when this image is a near duplicate (perceptual hash within Crawler:NearDuplicateDistance) of that canonical
    /// image: it is kept, linked, and left out of labelling queues by default.
    /// </summary>
    public long? NearDuplicateOfId { get; set; }
}

/// <summary>A file that was offered to a dataset and refused, with the reason shown to people.</summary>
public class RejectedFile
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public required string Origin { get; set; }
    public required string Reason { get; set; }
    public long? Bytes { get; set; }
    public string? Sha256 { get; set; }
    public long? JobRunId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A file whose bytes were already in the dataset when it was offered: the image is kept once, and this records the
/// other copy (where it came from, the label it came with), so identical content under two labels is visible
/// instead of silently resolved. Which copy is kept does not depend on timing: within an import, the copy with the
/// ordinally first origin.
/// </summary>
public class DuplicateFile
{
    public long Id { get; set; }
    public int DatasetId { get; set; }

    /// <summary>The kept image these bytes are.</summary>
    public long ImageId { get; set; }
    public required string Origin { get; set; }

    /// <summary>The label the copy came with (its folder); null for an unlabelled copy.</summary>
    public int? ClassId { get; set; }
    public long? JobRunId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An image whose copies came with other labels than the one it was kept with.</summary>
public sealed record LabelConflict(long ImageId, string KeptOrigin, int? KeptClassId, IReadOnlyList<(string Origin, int? ClassId)> Copies);
