namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// The noise class named for an import must be one of its folders (or a class the dataset already has): a mistyped
/// name ("background" for BACKGROUND_Google) would otherwise import the noise folder as an ordinary class, and every
/// evaluation would then score background clutter as a class of its own.
/// </summary>
public static class NoiseClassCheck
{
    /// <summary>Null when <paramref name="noiseClass"/> is blank or one of <paramref name="classNames"/>; else the error, with the likeliest intended name.</summary>
    public static string? Problem(string? noiseClass, IReadOnlyCollection<string> classNames)
    {
        if (string.IsNullOrWhiteSpace(noiseClass) || classNames.Contains(noiseClass, StringComparer.Ordinal))
        {
            return null;
        }

        var close = classNames.FirstOrDefault(n => string.Equals(n, noiseClass, StringComparison.OrdinalIgnoreCase))
            ?? classNames.FirstOrDefault(n => n.Contains(noiseClass, StringComparison.OrdinalIgnoreCase) || noiseClass.Contains(n, StringComparison.OrdinalIgnoreCase));
        var hint = close is not null ? $"; did you mean '{close}'?" : classNames.Count == 0 ? "; the import has no class folders" : "";
        return $"noise class '{noiseClass}' is not a folder of this import (names are compared exactly){hint}";
    }

    /// <summary>The check every entry point makes: against the import's folders and the classes the dataset already has.</summary>
    public static async Task<string?> ProblemAsync(DatasetService datasets, int datasetId, string root, string? noiseClass, CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(noiseClass) ? null
            : Problem(noiseClass, [.. FolderClasses(root), .. await datasets.ClassNamesAsync(datasetId, cancellationToken)]);

    /// <summary>The class folder names of an import root, as <see cref="DatasetImporter"/> reads them.</summary>
    public static List<string> FolderClasses(string root) =>
        [.. new DirectoryInfo(root).EnumerateDirectories()
            .Where(d => !d.Attributes.HasFlag(FileAttributes.ReparsePoint) && !ImportNameRules.IsSkippedFolder(d.Name))
            .Select(d => d.Name).Order(StringComparer.Ordinal)];
}
