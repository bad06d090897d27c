using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Data;

/// <summary>
/// Where the platform keeps its state. Everything lives under <see cref="DataDirectory"/> (outside wwwroot) unless a
/// connection string says otherwise. Bound from the "Storage" section; override with Storage__DataDirectory.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Data directory; relative paths are resolved against the content root.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Optional explicit connection string for the platform database; default: a SQLite file in the data directory.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Resolved absolute data directory (set at start-up).</summary>
    public string RootPath { get; set; } = "";

    /// <summary>The content root (repository root or publish folder) that relative paths in configuration start from.</summary>
    public string ContentRoot { get; set; } = "";

    public string DatabasePath => Path.Combine(RootPath, "labelplatform.db");
    public string HangfireDatabasePath => Path.Combine(RootPath, "hangfire.db");
    public string UploadsPath => Path.Combine(RootPath, "uploads");
    public string StagingPath => Path.Combine(RootPath, "staging");
    public string ModelsPath => Path.Combine(RootPath, "models");

    public string EffectiveConnectionString =>
        string.IsNullOrWhiteSpace(ConnectionString) ? $"Data Source={DatabasePath};Default Timeout=30" : ConnectionString;

    public static string ResolveRoot(string dataDirectory, string contentRoot) =>
        Path.GetFullPath(Path.IsPathRooted(dataDirectory) ? dataDirectory : Path.Combine(contentRoot, dataDirectory));
}
