using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Datasets.Import;

/// <summary>An archive entry that was not extracted, and why.</summary>
public sealed record SkippedEntry(string Name, string Reason);

/// <summary>
/// Extracts .zip, .tar and .tar.gz archives into a staging folder, refusing entries that would escape it ("../",
/// absolute paths), links and devices, and stopping at caps on entry size, entry count and total bytes, counted on the
/// bytes actually written rather than on sizes the archive claims.
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

    public async Task<IReadOnlyList<SkippedEntry>> ExtractAsync(string archivePath, string destination, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(destination);
        // Exactly one separator at the end, also when the caller's path has one: SafeTarget compares prefixes.
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination)) + Path.DirectorySeparatorChar;
        var skipped = new List<SkippedEntry>();
        var state = new Budget(_import.MaxExtractedBytes, _import.MaxArchiveEntries);
        switch (Detect(archivePath))
        {
            case Kind.Zip:
                await ExtractZipAsync(archivePath, root, skipped, state, cancellationToken);
                break;
            case Kind.Tar:
                await using (var file = File.OpenRead(archivePath))
                {
                    await ExtractTarAsync(file, root, skipped, state, cancellationToken);
                }

                break;
            case Kind.GzipTar:
                await using (var file = File.OpenRead(archivePath))
                await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
                {
                    await ExtractTarAsync(gzip, root, skipped, state, cancellationToken);
                }

                break;
            default:
                throw new ImportSourceException("the archive is neither .zip nor .tar/.tar.gz (checked by content)");
        }

        return skipped;
    }

    private async Task ExtractZipAsync(string archivePath, string root, List<SkippedEntry> skipped, Budget budget, CancellationToken cancellationToken)
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
                budget.CountEntry();

                // Unix symlinks in zips carry S_IFLNK in the high bits of the external attributes.
                if (((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000)
                {
                    skipped.Add(new SkippedEntry(entry.FullName, "symbolic link entries are not extracted"));
                    continue;
                }

                var target = SafeTarget(root, entry.FullName, out var reason);
                if (target is null)
                {
                    skipped.Add(new SkippedEntry(entry.FullName, reason!));
                    continue;
                }

                try
                {
                    await using var source = entry.Open();
                    await CopyCappedAsync(source, target, entry.Length, budget, cancellationToken);
                }
                catch (InvalidDataException ex)
                {
                    skipped.Add(new SkippedEntry(entry.FullName, $"corrupt zip entry: {ex.Message}"));
                }
                catch (SkipEntryException ex)
                {
                    skipped.Add(new SkippedEntry(entry.FullName, ex.Message));
                }
                catch (Exception ex) when (UnwritableReason(target, ex) is { } why)
                {
                    skipped.Add(new SkippedEntry(entry.FullName, why));
                }
            }
        }
    }

    private async Task ExtractTarAsync(Stream stream, string root, List<SkippedEntry> skipped, Budget budget, CancellationToken cancellationToken)
    {
        try
        {
            await using var reader = new TarReader(stream);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                if (entry.EntryType is TarEntryType.Directory or TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes)
                {
                    continue;
                }

                // Refused entries count too: they cost a line in the skipped list each.
                budget.CountEntry();
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                {
                    skipped.Add(new SkippedEntry(entry.Name, $"{entry.EntryType} entries are not extracted (only regular files)"));
                    continue;
                }

                var target = SafeTarget(root, entry.Name, out var reason);
                if (target is null)
                {
                    skipped.Add(new SkippedEntry(entry.Name, reason!));
                    continue;
                }

                try
                {
                    await CopyCappedAsync(entry.DataStream ?? Stream.Null, target, entry.Length, budget, cancellationToken);
                }
                catch (SkipEntryException ex)
                {
                    skipped.Add(new SkippedEntry(entry.Name, ex.Message));
                }
                catch (Exception ex) when (UnwritableReason(target, ex) is { } why)
                {
                    skipped.Add(new SkippedEntry(entry.Name, why));
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            // Entries read so far stay extracted; the archive's broken tail is reported.
            skipped.Add(new SkippedEntry("(archive)", $"archive is corrupt or truncated after the entries read so far: {ex.Message}"));
        }
    }

    /// <summary>The absolute path an entry may be written to, or null (with the reason) when it would leave the staging folder.</summary>
    internal static string? SafeTarget(string root, string entryName, out string? reason)
    {
        reason = null;
        var name = entryName.Replace('\\', '/');
        if (string.IsNullOrWhiteSpace(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            reason = "entry has an empty or invalid name";
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

        var full = Path.GetFullPath(Path.Combine(root, Path.Combine(kept)));
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
        // The target (or its temp name) is a folder an earlier entry created ("a/b.jpg", then "a").
        IOException or UnauthorizedAccessException when Directory.Exists(target) || Directory.Exists(target + ".part") => PathConflictReason,
        _ => null,
    };

    /// <summary>
    /// Copies one entry through a temp file, counting what is actually read against the caps. An entry that yields fewer
    /// bytes than its header declares is refused: a truncated .tar.gz ends its last entry early without an error.
    /// </summary>
    private async Task CopyCappedAsync(Stream source, string target, long declaredLength, Budget budget, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long written = 0;
        var temp = target + ".part";
        try
        {
            await using (var output = File.Create(temp))
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

                    budget.CountBytes(read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }

            if (written != declaredLength)
            {
                throw new SkipEntryException($"entry is cut short: {Size(written)} of the {Size(declaredLength)} it declares (truncated or corrupt archive)");
            }

            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            // Whatever stopped the copy (a cap, a corrupt entry, cancellation), no partial file stays behind.
            if (File.Exists(temp))
            {
                File.Delete(temp);
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
        private long _bytes;
        private int _entries;

        public void CountEntry()
        {
            if (++_entries > maxEntries)
            {
                throw new ImportSourceException($"archive has more than {maxEntries:N0} entries (the cap)");
            }
        }

        public void CountBytes(int count)
        {
            _bytes += count;
            if (_bytes > maxBytes)
            {
                throw new ImportSourceException($"archive expands to more than {Size(maxBytes)} (the cap); extraction stopped");
            }
        }
    }

    /// <summary>This entry is not extracted (over the file cap, cut short); the archive goes on.</summary>
    private sealed class SkipEntryException(string message) : Exception(message);
}
