namespace LabelPlatform.Core.Labelling;

/// <summary>
/// What a labeller may see of where an image came from. Unless the dataset shows import labels, the folder (the import
/// label) is never shown, and neither is a file name that names a class ("anchor_12.jpg"): either would hand the
/// labeller the answer and make their label an echo of it.
/// </summary>
public static class LabellerView
{
    /// <summary>Names shorter than this are not looked for in file names ("ox" is in too many words to mean anything).</summary>
    public const int MinClassNameLength = 3;

    public static string Origin(long imageId, string origin, IEnumerable<string> classNames, bool showImportLabels)
    {
        if (showImportLabels)
        {
            return origin;
        }

        var name = FileName(origin);
        var folded = Fold(name);
        var revealing = folded.Length == 0 || classNames.Select(Fold).Any(c => c.Length >= MinClassNameLength && folded.Contains(c, StringComparison.Ordinal));
        return revealing ? $"image {imageId}" : name;
    }

    /// <summary>The last path segment of a folder path, an archive entry ("a.zip!/cats/1.jpg") or a URL (without its query).</summary>
    public static string FileName(string origin)
    {
        var path = origin;
        var query = path.IndexOfAny(['?', '#']);
        if (query >= 0 && path.Contains("://", StringComparison.Ordinal))
        {
            path = path[..query];
        }

        var cut = path.TrimEnd('/', '\\').LastIndexOfAny(['/', '\\', '!']);
        return (cut >= 0 ? path[(cut + 1)..] : path).TrimEnd('/', '\\');
    }

    /// <summary>Lower-case letters and digits only, so "BACKGROUND_Google" is found in "background-google-3.jpg".</summary>
    private static string Fold(string text) => new([.. text.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);
}
