using System.Formats.Tar;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Testing;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static LabelPlatform.Tests.Datasets.HostileArchives;

namespace LabelPlatform.Tests.Datasets;

/// <summary>
/// The standing hostile-archive suite (issue 12): archives built in code, each extracted into the data folder's staging
/// (to measure what it writes) and imported the way an upload is. Nothing may be written outside the data folder (a
/// sibling canary folder is compared before and after), staging stays under the caps, every archive is either refused
/// with a reason or imported with every entry accounted for (accepted, duplicate, or rejected with a reason), and
/// nothing crashes. Counts go to TestResults/hostile/archives.txt.
/// </summary>
public sealed class HostileArchiveSuiteTests
{
    private const long MaxExtracted = 48L * 1024 * 1024, MaxFile = 8L * 1024 * 1024;
    private const int MaxEntries = 1_000;

    /// <summary>Refused: the import fails with a reason containing Reason. Otherwise: it succeeds, Entries files accounted for, Reason among the rejections.</summary>
    private sealed record Case(string Name, string Extension, Func<Paths, byte[]> Build, bool Refused, string Reason, int Entries = 0);

    /// <summary>Escape: a relative name from staging/run-N to the canary; Absolute: the canary's absolute path.</summary>
    private sealed record Paths(string Escape, string Absolute);

    private static byte[] Jpeg(int shade) => TestImages.Jpeg(shade: (byte)shade);

    private static IEnumerable<Case> Cases()
    {
        yield return new("zip-slip", "zip", p => Zip(("cats/ok.jpg", Jpeg(1)), (p.Escape + "/evil.jpg", Jpeg(2)), ("cats/../../../../" + p.Escape + "/evil2.jpg", Jpeg(3)), (p.Escape.Replace('/', '\\') + "\\evil3.jpg", Jpeg(4))), false, "'..'", 4);
        yield return new("zip-absolute", "zip", p => Zip(("cats/ok.jpg", Jpeg(5)), (p.Absolute + "/abs.jpg", Jpeg(6)), ("C:/windows.jpg", Jpeg(7))), false, "absolute path", 3);
        yield return new("tar-slip", "tar", p => Tar(false, Entry("cats/ok.jpg", Jpeg(8)), Entry(p.Escape + "/evil.jpg", Jpeg(9))), false, "'..'", 2);
        yield return new("tar-absolute", "tar.gz", p => Tar(true, Entry("cats/ok.jpg", Jpeg(10)), Entry(p.Absolute + "/abs.jpg", Jpeg(11))), false, "absolute path", 2);
        yield return new("tar-symlink-escape", "tar", p => Tar(false, Link(TarEntryType.SymbolicLink, "cats", p.Absolute), Entry("cats/through-link.jpg", Jpeg(12))), false, "SymbolicLink entries", 2);
        yield return new("tar-hardlink", "tar", p => Tar(false, Link(TarEntryType.HardLink, "cats/hard.jpg", p.Absolute + "/canary.txt"), Entry("cats/ok.jpg", Jpeg(13))), false, "HardLink entries", 2);
        yield return new("tar-devices", "tar", _ => Tar(false, new PaxTarEntry(TarEntryType.CharacterDevice, "cats/null.jpg") { DeviceMajor = 1, DeviceMinor = 3 },
            new PaxTarEntry(TarEntryType.BlockDevice, "cats/sda.jpg") { DeviceMajor = 8 }, new PaxTarEntry(TarEntryType.Fifo, "cats/fifo.jpg"), Entry("cats/ok.jpg", Jpeg(14))), false, "Device entries are not extracted", 4);
        yield return new("zip-symlink", "zip", _ => ZipSymlink(), false, "symbolic link", 2);
        yield return new("zip-overlapping-entries", "zip", _ => Overlapping(count: 50, inflated: 4 * 1024 * 1024), true, "overlap");
        yield return new("zip-bomb-high-ratio", "zip", _ => Zip(("cats/bomb.jpg", new byte[64 * 1024 * 1024]), ("cats/ok.jpg", Jpeg(15))), false, "file cap", 2);
        yield return new("zip-bomb-many-entries", "zip", _ => Zip([.. Enumerable.Range(0, 8).Select(i => ($"cats/{i}.jpg", new byte[7 * 1024 * 1024]))]), true, "expands to more than");
        yield return new("zip-nested", "zip", _ => Zip(("cats/inner.zip", Zip(("inner2.zip", Zip(("deep.jpg", new byte[4 * 1024 * 1024])))))), false, "", 1);
        yield return new("gzip-bomb", "tar.gz", _ => Tar(true, Entry("cats/bomb.jpg", new byte[200 * 1024 * 1024])), true, "expands to more than");
        yield return new("tar-gz-corrupt-deflate", "tar.gz", _ => FlipMiddle(Tar(true, Texts(30))), true, "corrupt or truncated");
        yield return new("tar-gz-corrupt-trailer-crc", "tar.gz", _ => CorruptTrailerCrc(Tar(true, Texts(30))), true, "corrupt or truncated");
        yield return new("tar-gz-truncated-half", "tar.gz", _ => Half(Tar(true, Texts(30))), true, "corrupt or truncated");
        yield return new("tar-gz-trailer-missing", "tar.gz", _ => Tar(true, Texts(30))[..^8], true, "gzip trailer");
        yield return new("tar-without-end-marker", "tar", _ => WithoutEndMarker(Tar(false, Texts(3))), true, "corrupt or truncated");
        yield return new("zip-truncated-half", "zip", _ => Half(Zip([.. Texts(10).Select(e => (e.Name, Text(4000, e.Name.Length)))])), true, "unreadable zip");
        yield return new("zip-corrupt-entry-data", "zip", _ => ZipWithCorruptData(Zip(("cats/a.jpg", Text(60_000, 1)), ("cats/ok.jpg", Jpeg(16)))), false, "", 2);
        yield return new("zip-duplicate-names", "zip", _ => Zip(("cats/a.jpg", Jpeg(17)), ("cats/a.jpg", Jpeg(18)), ("CATS/A.JPG", Jpeg(19))), false, "same name", 3);
        yield return new("tar-duplicate-names", "tar", _ => Tar(false, Entry("cats/a.jpg", Jpeg(20)), Entry("./cats/a.jpg", Jpeg(21))), false, "same name", 2);
        yield return new("zip-huge-entry-count", "zip", _ => Zip([.. Enumerable.Range(0, 1_500).Select(i => ($"cats/{i}.jpg", Array.Empty<byte>()))]), true, "entries (the cap)");
        yield return new("tar-huge-entry-count", "tar.gz", _ => Tar(true, [.. Enumerable.Range(0, 1_500).Select(i => Entry($"cats/{i}.jpg", []))]), true, "entries (the cap)");
        yield return new("tar-control-characters", "tar", _ => Tar(false, Ustar("cats/line\nbreak.jpg"), Ustar("cats/tab\t.jpg"), Ustar("cats/bell\u0007.jpg"), Entry("cats/ok.jpg", Jpeg(22))), false, "control characters", 4);
        yield return new("zip-nul-and-control-names", "zip", _ => Zip(("cats/nul\0.jpg", Jpeg(23)), ("cats/esc\u001b[31m.jpg", Jpeg(24)), ("cats/ok.jpg", Jpeg(25))), false, "invalid name", 3);
        yield return new("zip-wrong-declared-size", "zip", _ => WithDeclaredSize(Zip(("cats/liar.jpg", Text(5000, 2))), 10), false, "", 1);
        yield return new("tar-wrong-declared-size", "tar", _ => TarWithDeclaredSize(Text(600, 3), 1_000_000), true, "corrupt or truncated");
        yield return new("zip64-huge-compressed-size", "zip", _ => Zip64HugeCompressedSize(Zip(("cats/a.jpg", Text(1000, 4)))), true, "declares");
        yield return new("zip64-locator-outside", "zip", _ => Zip64LocatorOutside(Zip(("cats/a.jpg", Text(1000, 5)))), true, "zip64");
        yield return new("hidden-and-part-names", "zip", _ => Zip((".DS_Store", [1]), ("__MACOSX/cats/._a.jpg", [2]), ("cats/.secret.jpg", Jpeg(26)), ("cats/b.jpg.part", Jpeg(27)), ("cats/ok.jpg", Jpeg(28))), false, "not imported", 5);
        yield return new("name-too-long", "tar", _ => Tar(false, Entry("cats/" + new string('n', 300) + ".jpg", Jpeg(29)), Entry("cats/ok.jpg", Jpeg(30))), false, "too long", 2);
        yield return new("file-folder-clash", "tar", _ => Tar(false, Entry("cats", Jpeg(31)), Entry("cats/inside.jpg", Jpeg(32))), false, "clashes", 2);
        yield return new("not-an-archive", "zip", _ => Text(5000, 6), true, "neither .zip nor .tar");
        yield return new("zip-empty", "zip", _ => Zip(), false, "", 0);
    }

    private static TarEntry[] Texts(int count) => [.. Enumerable.Range(0, count).Select(i => Entry($"cats/{i:D2}.jpg", Text(4000, i)))];

    private static UstarTarEntry Ustar(string name) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Text(10, name.Length)) };

    private static byte[] Half(byte[] bytes) => bytes[..(bytes.Length / 2)];

    private static byte[] ZipSymlink()
    {
        var output = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            var link = zip.CreateEntry("cats/passwd.jpg");
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16));
            using (var stream = link.Open())
            {
                stream.Write("/etc/passwd"u8);
            }

            using var good = zip.CreateEntry("cats/ok.jpg").Open();
            good.Write(Jpeg(33));
        }

        return output.ToArray();
    }

    private static Dictionary<string, string> Snapshot(string folder) =>
        Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => File.Exists(f) ? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))) : "dir");

    private static long Bytes(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    [Fact]
    public async Task Every_hostile_archive_is_refused_or_imported_with_every_entry_reported_and_nothing_escapes()
    {
        await using var platform = await CorePlatform.StartAsync(new()
        {
            ["Import:MaxExtractedBytes"] = MaxExtracted.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Import:MaxArchiveEntries"] = MaxEntries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Images:MaxFileBytes"] = MaxFile.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        // The canary sits beside the data folder, where "../../../" from staging/run-N lands.
        var parent = Path.GetDirectoryName(Path.GetFullPath(platform.DataDirectory))!;
        var canaryName = $"canary-{Guid.NewGuid():N}";
        var canary = Path.Combine(parent, canaryName);
        Directory.CreateDirectory(canary);
        await File.WriteAllTextAsync(Path.Combine(canary, "canary.txt"), "untouched");
        using var archives = new TempFolder();
        var paths = new Paths("../../../" + canaryName, canary);
        var before = Snapshot(canary);
        var siblingsBefore = Directory.EnumerateFileSystemEntries(parent, canaryName + "*").Count();

        var staging = Path.Combine(platform.DataDirectory, "staging");
        int tried = 0, refused = 0, importedReported = 0, crashes = 0;
        long peak = 0;
        var problems = new List<string>();
        try
        {
            foreach (var (c, index) in Cases().Select((c, i) => (c, i)))
            {
                tried++;
                var archive = archives.Combine($"{c.Name}.{c.Extension}");
                await File.WriteAllBytesAsync(archive, c.Build(paths));

                // Extraction alone into staging, to see what it writes (the import deletes its staging folder afterwards).
                var probe = Path.Combine(staging, $"run-probe{index}");
                try
                {
                    await platform.Get<ArchiveExtractor>().ExtractAsync(archive, probe, CancellationToken.None);
                }
                catch (ImportSourceException)
                {
                    // Reported by the import below.
                }
                catch (Exception ex)
                {
                    crashes++;
                    problems.Add($"{c.Name}: extraction crashed: {ex}");
                }

                peak = Math.Max(peak, Bytes(probe));
                Directory.Delete(probe, recursive: true);

                ImportSummary? summary;
                JobRun run;
                try
                {
                    (summary, run) = await platform.ImportArchiveAsync($"hostile-{c.Name}", archive);
                }
                catch (Exception ex)
                {
                    crashes++;
                    problems.Add($"{c.Name}: import crashed: {ex}");
                    continue;
                }

                if (c.Refused)
                {
                    if (run.State == JobState.Failed && run.Error?.Contains(c.Reason, StringComparison.Ordinal) == true)
                    {
                        refused++;
                    }
                    else
                    {
                        problems.Add($"{c.Name}: expected refusal with '{c.Reason}', got {run.State}: {run.Error}");
                    }

                    continue;
                }

                await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
                var errors = await db.JobRunItemErrors.Where(e => e.JobRunId == run.Id).Select(e => e.Message).ToListAsync();
                var accounted = summary is null ? -1 : summary.Accepted + summary.Duplicates + summary.Rejected;
                if (run.State != JobState.Succeeded || accounted != c.Entries || errors.Count != summary!.Rejected
                    || errors.Any(string.IsNullOrWhiteSpace) || !errors.Any(e => e.Contains(c.Reason, StringComparison.Ordinal)) && c.Reason != "")
                {
                    problems.Add($"{c.Name}: {run.State} {run.Error}; {accounted} of {c.Entries} entries accounted for; reasons: {string.Join(" | ", errors)}");
                }
                else
                {
                    importedReported++;
                }
            }
        }
        finally
        {
            var escaped = Snapshot(canary).Count != before.Count || Snapshot(canary).Any(kv => !before.TryGetValue(kv.Key, out var hash) || hash != kv.Value)
                || Directory.EnumerateFileSystemEntries(parent, canaryName + "*").Count() != siblingsBefore;
            var peakMb = (peak + (1024 * 1024) - 1) / (1024 * 1024);
            HostileReport.Write("archives", [
                $"archives tried: {tried}",
                $"rejected: {refused}",
                $"imported with every skip reported: {importedReported}",
                $"written outside data folder: {(escaped ? 1 : 0)}",
                $"crashes: {crashes}",
                $"peak staging MB: {peakMb} (caps: {MaxExtracted / (1024 * 1024)} MB in all, {MaxFile / (1024 * 1024)} MB a file)",
            ]);
            Assert.False(escaped, "something was written beside the data folder");
            Directory.Delete(canary, recursive: true);
        }

        Assert.True(tried >= 20);
        Assert.Empty(problems);
        Assert.Equal(0, crashes);
        Assert.Equal(tried, refused + importedReported);
        Assert.True(peak <= MaxExtracted, $"staging held {peak:N0} bytes");
    }
}
