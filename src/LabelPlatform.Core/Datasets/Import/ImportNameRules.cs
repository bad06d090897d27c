namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// Names an import leaves out on purpose (hidden files, macOS metadata, unfinished downloads), with the reason people
/// see for each: one rule for archive entries and for files of a server folder.
/// </summary>
public static class ImportNameRules
{
    /// <summary>A folder that is neither a class nor read (".git", "__MACOSX").</summary>
    public static bool IsSkippedFolder(string name) => name.StartsWith('.') || name == "__MACOSX";

    /// <summary>Why a file at this relative path (folders, then the file name) is not imported, or null when it is.</summary>
    public static string? SkipReason(IReadOnlyList<string> segments)
    {
        for (var i = 0; i < segments.Count - 1; i++)
        {
            if (IsSkippedFolder(segments[i]))
            {
                return FolderReason(segments[i], inside: true);
            }
        }

        var file = segments[^1];
        if (file.StartsWith('.'))
        {
            return "hidden file (the name starts with '.'), not imported";
        }

        return file.EndsWith(".part", StringComparison.OrdinalIgnoreCase) ? "unfinished download (the name ends with '.part'), not imported" : null;
    }

    /// <summary>Why a folder is left out; <paramref name="inside"/>: said of a file in it rather than of the folder.</summary>
    public static string FolderReason(string folder, bool inside) => (inside ? "inside the " : "the ") + (folder == "__MACOSX"
        ? "macOS metadata folder '__MACOSX', not imported"
        : $"hidden folder '{folder}' (the name starts with '.'), not imported");
}
