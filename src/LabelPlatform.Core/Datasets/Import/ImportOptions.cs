using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Datasets.Import;

/// <summary>Caps and knobs for imports. Bound from "Import".</summary>
public sealed class ImportOptions
{
    public const string Section = "Import";

    /// <summary>Largest archive an admin may upload through the browser.</summary>
    [Range(typeof(long), "1", "9223372036854775807")]
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Largest archive fetched from a URL.</summary>
    [Range(typeof(long), "1", "9223372036854775807")]
    public long MaxDownloadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Deadline for a whole download, however slowly the server sends.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Sum of all extracted entries; stops archive bombs.</summary>
    [Range(typeof(long), "1", "9223372036854775807")]
    public long MaxExtractedBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    [Range(1, int.MaxValue)]

    public int MaxArchiveEntries { get; set; } = 500_000;

    /// <summary>Files decoded at once; 0 means one per core.</summary>
    [Range(0, 1024)]
    public int Parallelism { get; set; }

    /// <summary>Images committed to the database per transaction (the checkpoint a killed import resumes from).</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>Server folders an admin may import from; empty means any folder the process can read.</summary>
    public List<string> AllowedFolders { get; set; } = [];
}

public static class ImportSources
{
    public const string Folder = "folder";
    public const string Archive = "archive";
    public const string Url = "url";
}

/// <summary>What an import job was asked to do; stored as the job run's parameters.</summary>
public sealed record ImportParameters
{
    public required string Source { get; init; }

    /// <summary>Server folder (folder source) or the uploaded archive's stored path (archive source).</summary>
    public string? Path { get; init; }

    public string? Url { get; init; }

    /// <summary>Optional pin for a downloaded archive.</summary>
    public string? Sha256 { get; init; }

    public string? NoiseClass { get; init; }

    /// <summary>The name the uploaded or downloaded archive had, used in origins shown to people.</summary>
    public string? ArchiveName { get; init; }
}

/// <summary>Totals of one import, as the CLI prints them.</summary>
public sealed record ImportSummary(long JobRunId, string Dataset, int Classes, int Total, int Accepted, int Duplicates, int Rejected, double Seconds)
{
    public double ImagesPerSecond => Seconds > 0 ? Total / Seconds : 0;

    public string Describe() => $"Imported {Accepted:N0} images ({Duplicates:N0} duplicates, {Rejected:N0} rejected) into {Classes:N0} classes";
}

/// <summary>The import as a whole cannot go on (missing folder, failed download, unreadable archive); the reason is for people.</summary>
public sealed class ImportSourceException(string message, Exception? inner = null) : Exception(message, inner);
