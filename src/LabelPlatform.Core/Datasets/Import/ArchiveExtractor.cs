using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Datasets.Import;

/// <summary>An archive entry that was not extracted, and why.</summary>
public sealed record SkippedEntry(string Name, string Reason);

/// <summary>
/// Extracts .zip, .tar and .tar.gz archives into a staging folder, refusing entries that would escape it ("../",
/// absolute paths), links and devices, a second entry of the same name, and hidden or unfinished files (each with its
/// reason), and stopping at caps on entry size, entry count and total bytes, counted on the bytes actually read rather
/// than on sizes the archive claims. Zips with overlapping entries and corrupt or truncated tars are refused whole.
/// </summary>
public sealed class ArchiveExtractor(IOptions<ImportOptions> importOptions, IOptions<Images.ImageValidationOptions> imageOptions)
{
    private readonly ImportOptions _import = importOptions.Value;
    private readonly long _maxEntryBytes = imageOptions.Value.MaxFileBytes;

    public enum Kind { Unknown, Zip, Tar, GzipTar }

    public static Kind Detect(string path)
    {
        Span<byte> head = stackalloc byte[262];
        using var stream = File.OpenRead(path);
        var read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..read];
        if (read >= 4 && head[0] == 0x50 && head[1] == 0x4B && (head[2] == 0x03 || head[2] == 0x05))
        {
            return Kind.Zip;
        }

        if (read >= 2 && head[0] == 0x1F && head[1] == 0x8B)
        {
            return Kind.GzipTar;
        }

        if (read >= 262 && head[257..262].SequenceEqual("ustar"u8))
        {
            return Kind.Tar;
        }

        return Kind.Unknown;
    }

    /// <summary>Data allowed after a tar's end marker: tar pads to its record size (10 KB by default, a few MB at most).</summary>
    internal const long MaxTrailingBytes = 16L * 1024 * 1024;

    public async Task<IReadOnlyList<SkippedEntry>> ExtractAsync(string archivePath, string destination, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(destination);
        // Exactly one separator at the end, also when the caller's path has one: SafeTarget compares prefixes.
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination)) + Path.DirectorySeparatorChar;
        var kind = Detect(archivePath);
        var run = new Run(root, new Budget(_import.MaxExtractedBytes, _import.MaxArchiveEntries), IsTar: kind != Kind.Zip);
        switch (kind)
        {
            case Kind.Zip:
                ZipLayout.Check(archivePath, _import.MaxArchiveEntries);
                await ExtractZipAsync(archivePath, run, cancellationToken);
                break;
            case Kind.Tar:
            case Kind.GzipTar:
                await ExtractTarAsync(archivePath, kind == Kind.GzipTar, run, cancellationToken);
                break;
            default:
                throw new ImportSourceException("the archive is neither .zip nor .tar/.tar.gz (checked by content)");
        }

        return run.Skipped;
    }

    private async Task ExtractZipAsync(string archivePath, Run run, CancellationToken cancellationToken)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(File.OpenRead(archivePath), ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException ex)
        {
            throw new ImportSourceException($"unreadable zip archive: {ex.Message}", ex);
        }

        using (zip)
        {
            foreach (var entry in zip.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
                {
                    continue; // directory
                }

                // Refused entries count too: they cost a line in the skipped list each.
                run.Budget.CountEntry();

                // Unix zips carry the file type (S_IFMT) in the high bits of the external attributes; 0 means none given.
                var type = (entry.ExternalAttributes >> 16) & 0xF000;
                if (type is not (0 or 0x8000))
                {
                    run.Skip(entry.FullName, type == 0xA000 ? "symbolic link entries are not extracted" : "entry is not a regular file (a device, pipe or folder type); only regular files are extracted");
                    continue;
                }

                if (run.Target(entry.FullName) is not { } target)
                {
                    continue;
                }

                try
                {
                    await using var source = entry.Open();
                    await CopyCappedAsync(source, target, entry.Length, run, cancellationToken);
                }
                catch (InvalidDataException ex)
                {
                    run.Skip(entry.FullName, $"corrupt zip entry: {ex.Message}");
                }
                catch (SkipEntryException ex)
                {
                    run.Skip(entry.FullName, ex.Message);
                }
                catch (Exception ex) when (UnwritableReason(target, ex) is { } why)
                {
                    run.Skip(entry.FullName, why);
                }
            }
        }
    }

    /// <summary>
    /// A tar has no index: entries after a break in the stream cannot even be named, so a corrupt or truncated tar (or
    /// gzip stream) refuses the whole import rather than import what came before it as if that were everything.
    /// </summary>
    private async Task ExtractTarAsync(string archivePath, bool gzip, Run run, CancellationToken cancellationToken)
    {
        var maxConsumed = _import.MaxExtractedBytes + 1024L * _import.MaxArchiveEntries + MaxTrailingBytes;
        var read = 0;
        try
        {
            await using var stream = TarSourceStream.Open(archivePath, gzip, maxConsumed);
            await using (var reader = new TarReader(stream, leaveOpen: true))
            {
                long dataEnd = 0;
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
                {
                    read++;
                    // Where this entry's data, padded to 512-byte blocks, ends: an end marker (a zero block) must follow the last.
                    dataEnd = stream.Consumed + ((entry.Length + 511) / 512 * 512);
                    await ExtractTarEntryAsync(entry, run, cancellationToken);
                }

                if (stream.Consumed < dataEnd + 512)
                {
                    throw new EndOfStreamException("the archive ends without the tar end-of-archive marker");
                }
            }

            await stream.VerifyEndAsync(archivePath, MaxTrailingBytes, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException or TruncatedEntryException)
        {
            var rest = read == 0 ? "no entry could be read" : $"{read:N0} {(read == 1 ? "entry was" : "entries were")} read up to the break, and those after it cannot be listed";
            throw new ImportSourceException($"the archive is corrupt or truncated: {ex.Message}; {rest}, so nothing is imported", ex);
        }
    }

    private async Task ExtractTarEntryAsync(TarEntry entry, Run run, CancellationToken cancellationToken)
    {
        if (entry.EntryType is TarEntryType.Directory or TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes)
        {
            return;
        }

        // Refused entries count too: they cost a line in the skipped list each.
        run.Budget.CountEntry();
        var before = run.Budget.Bytes;
        if (!await TryExtractTarEntryAsync(entry, run, cancellationToken))
        {
            // TarReader inflates a skipped entry's data to get past it: a bomb costs its size whether written or not.
            run.Budget.CountBytes(Math.Max(0, entry.Length - (run.Budget.Bytes - before)));
        }
    }

    private async Task<bool> TryExtractTarEntryAsync(TarEntry entry, Run run, CancellationToken cancellationToken)
    {
        if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
        {
            run.Skip(entry.Name, $"{entry.EntryType} entries are not extracted (only regular files)");
            return false;
        }

        if (run.Target(entry.Name) is not { } target)
        {
            return false;
        }

        try
        {
            await CopyCappedAsync(entry.DataStream ?? Stream.Null, target, entry.Length, run, cancellationToken);
            return true;
        }
        catch (SkipEntryException ex)
        {
            run.Skip(entry.Name, ex.Message);
        }
        catch (Exception ex) when (UnwritableReason(target, ex) is { } why)
        {
            run.Skip(entry.Name, why);
        }

        return false;
    }

    /// <summary>
    /// The entry's name made relative and clean: no "..", no absolute path, no control characters; null (with the reason) otherwise.
    /// </summary>
    internal static string[]? Normalise(string entryName, out string? reason)
    {
        reason = null;
        var name = entryName.Replace('\\', '/');
        if (string.IsNullOrWhiteSpace(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            reason = "entry has an empty or invalid name";
            return null;
        }

        if (name.Any(char.IsControl))
        {
            reason = "entry name contains control characters (line breaks, tabs or other invisible characters)";
            return null;
        }

        if (name.StartsWith('/') || (name.Length >= 2 && name[1] == ':'))
        {
            reason = "entry has an absolute path; only relative paths are extracted";
            return null;
        }

        var segments = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s == ".."))
        {
            reason = "entry path contains '..' and would escape the import folder";
            return null;
        }

        string[] kept = [.. segments.Where(s => s != ".")];
        if (kept.Length == 0)
        {
            // "." or "./.": names the import folder itself, not a file in it.
            reason = "entry has an empty or invalid name";
            return null;
        }

        return kept;
    }

    /// <summary>The absolute path an entry may be written to, or null (with the reason) when it would leave the staging folder.</summary>
    internal static string? SafeTarget(string root, string entryName, out string? reason) =>
        Normalise(entryName, out reason) is { } segments ? Prepare(root, segments, out reason) : null;

    /// <summary>Creates the folders a clean relative path needs and returns its absolute path, or null with the reason.</summary>
    private static string? Prepare(string root, string[] segments, out string? reason)
    {
        reason = null;
        var full = Path.GetFullPath(Path.Combine(root, Path.Combine(segments)));
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            reason = "entry path would escape the import folder";
            return null;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        }
        catch (PathTooLongException)
        {
            reason = TooLongReason;
            return null;
        }
        catch (IOException)
        {
            // An earlier entry was extracted as a file where this one needs a folder ("a", then "a/b.jpg").
            reason = PathConflictReason;
            return null;
        }

        return full;
    }

    private const string PathConflictReason = "entry path clashes with an earlier entry (the same name is used for a file and a folder)";
    private const string TooLongReason = "entry name is too long for the file system";

    /// <summary>
    /// Why one entry could not be written because of its own name, or null for failures that concern the whole
    /// extraction (a full disk): those stop it. The entry's name is hostile input, so it must not end the import.
    /// </summary>
    private static string? UnwritableReason(string target, Exception ex) => ex switch
    {
        PathTooLongException => TooLongReason,
        // The target is a folder an earlier entry created ("a/b.jpg", then "a").
        IOException or UnauthorizedAccessException when Directory.Exists(target) => PathConflictReason,
        _ => null,
    };

    /// <summary>
    /// Copies one entry through a temp file, counting what is actually read against the caps. An entry that yields fewer
    /// bytes than its header declares is refused: a truncated .tar.gz ends its last entry early without an error.
    /// </summary>
    private async Task CopyCappedAsync(Stream source, string target, long declaredLength, Run run, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long written = 0;
        try
        {
            await using (var output = File.Create(run.TempPath))
            {
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    written += read;
                    if (written > _maxEntryBytes)
                    {
                        // Drain nothing more: the entry is skipped, the archive goes on.
                        throw new SkipEntryException($"entry is larger than the {Size(_maxEntryBytes)} file cap");
                    }

                    run.Budget.CountBytes(read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            if (written != declaredLength)
            {
                var message = $"entry is cut short: {Size(written)} of the {Size(declaredLength)} it declares (truncated or corrupt archive)";
                // In a tar the stream itself ended: what follows is lost too. In a zip only this entry's declared size is wrong.
                throw run.IsTar ? new TruncatedEntryException(message) : new SkipEntryException(message);
            }

            // Never over an earlier entry: duplicate names were refused before, so an existing file here is a clash.
            File.Move(run.TempPath, target, overwrite: false);
        }
        finally
        {
            // Whatever stopped the copy (a cap, a corrupt entry, cancellation), no partial file stays behind.
            if (File.Exists(run.TempPath))
            {
                File.Delete(run.TempPath);
            }
        }
    }

    /// <summary>A byte count for people: exact below 1 KB, so small caps never read as "0 MB".</summary>
    internal static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes:N0} bytes",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.#} GB",
    };

    private sealed class Budget(long maxBytes, int maxEntries)
    {
        private int _entries;

        public long Bytes { get; private set; }

        public void CountEntry()
        {
            if (++_entries > maxEntries)
            {
                throw new ImportSourceException($"archive has more than {maxEntries:N0} entries (the cap)");
            }
        }

        public void CountBytes(long count)
        {
            Bytes += count;
            if (Bytes > maxBytes)
            {
                throw new ImportSourceException($"archive expands to more than {Size(maxBytes)} (the cap); extraction stopped");
            }
        }
    }

    /// <summary>
    /// One extraction: where it writes, what it has spent, what it skipped and why, and which names it has used
    /// (compared ignoring case, since the import folder may be on a file system that does).
    /// </summary>
    private sealed record Run(string Root, Budget Budget, bool IsTar)
    {
        private readonly Dictionary<string, (string First, int Count)> _used = new(StringComparer.OrdinalIgnoreCase);

        public List<SkippedEntry> Skipped { get; } = [];

        /// <summary>Entries are written here first, then moved; a hidden name, which no extracted entry can have.</summary>
        public string TempPath { get; } = Path.Combine(Root, $".extracting-{Guid.NewGuid():N}");

        public void Skip(string name, string reason) => Skipped.Add(new SkippedEntry(Printable(name), reason));

        /// <summary>
        /// A refused name as people (and PostgreSQL, whose text cannot hold NUL) can store and read it: control
        /// characters become their Unicode control pictures (NUL → ␀, ESC → ␛).
        /// </summary>
        internal static string Printable(string name) => !name.Any(char.IsControl) ? name
            : string.Concat(name.Select(c => c < ' ' ? (char)(0x2400 + c) : c == '\x7f' ? '\u2421' : char.IsControl(c) ? '\ufffd' : c));

        /// <summary>Where the entry goes, or null when it is skipped (and then recorded with its reason).</summary>
        public string? Target(string entryName)
        {
            var segments = Normalise(entryName, out var reason);
            reason ??= ImportNameRules.SkipReason(segments!);
            if (reason is null)
            {
                var key = string.Join('/', segments!).Normalize(System.Text.NormalizationForm.FormC);
                if (_used.TryGetValue(key, out var used))
                {
                    _used[key] = (used.First, used.Count + 1);
                    // An exact repeat is numbered, so its report is not taken for the extracted entry of that name.
                    Skip(used.First == entryName ? $"{entryName} (#{used.Count + 1})" : entryName,
                        $"another entry has the same name ('{used.First}', names compared ignoring case): only the first is extracted");
                    return null;
                }

                if (Prepare(Root, segments!, out reason) is { } full)
                {
                    _used[key] = (entryName, 1);
                    return full;
                }
            }

            Skip(entryName, reason!);
            return null;
        }
    }

    /// <summary>This entry is not extracted (over the file cap, cut short); the archive goes on.</summary>
    private sealed class SkipEntryException(string message) : Exception(message);

    /// <summary>A tar entry ended before its declared size: the stream broke, the entries after it are lost as well.</summary>
    private sealed class TruncatedEntryException(string message) : Exception(message);
}
