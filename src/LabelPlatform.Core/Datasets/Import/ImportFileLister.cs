namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// Lists the files of an import folder in ordinal order, and every file or folder it leaves out with the reason:
/// hidden and unfinished files (<see cref="ImportNameRules"/>), symbolic links (never followed: no loops, nothing
/// outside the tree), files the process may not read. A left-out folder is one entry, not one per file inside it.
/// </summary>
public static class ImportFileLister
{
    public static (List<string> Files, List<SkippedEntry> Skipped) List(string root)
    {
        var files = new List<string>();
        var skipped = new List<SkippedEntry>();
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(root));
        var options = new EnumerationOptions { IgnoreInaccessible = false, AttributesToSkip = 0, ReturnSpecialDirectories = false };
        while (pending.TryPop(out var folder))
        {
            IEnumerable<FileSystemInfo> children;
            try
            {
                children = folder.EnumerateFileSystemInfos("*", options).ToList();
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                skipped.Add(new SkippedEntry(Relative(root, folder.FullName) + "/", $"folder cannot be read: {ex.Message}"));
                continue;
            }

            foreach (var child in children)
            {
                var relative = Relative(root, child.FullName);
                var isFolder = child is DirectoryInfo;
                if (child.LinkTarget is not null || child.Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    skipped.Add(new SkippedEntry(relative + (isFolder ? "/" : ""), "symbolic link, not followed"));
                }
                else if (isFolder && ImportNameRules.IsSkippedFolder(child.Name))
                {
                    skipped.Add(new SkippedEntry(relative + "/", ImportNameRules.FolderReason(child.Name, inside: false)));
                }
                else if (isFolder)
                {
                    pending.Push((DirectoryInfo)child);
                }
                else if (ImportNameRules.SkipReason([child.Name]) is { } reason)
                {
                    skipped.Add(new SkippedEntry(relative, reason));
                }
                else if (child.Attributes.HasFlag(FileAttributes.System) || (child.Attributes.HasFlag(FileAttributes.Hidden) && !OperatingSystem.IsLinux()))
                {
                    // On Linux "hidden" only means a leading dot, handled above; elsewhere it is an attribute of its own.
                    skipped.Add(new SkippedEntry(relative, "hidden or system file, not imported"));
                }
                else
                {
                    files.Add(child.FullName);
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        skipped.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return (files, skipped);
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');
}
