using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Images;
using LabelPlatform.Tests.Images;

using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Datasets;

public sealed class ArchiveExtractorTests : IDisposable
{
    // Layout: <temp>/archive.*, <temp>/dest (the extraction folder), <temp>/outside (what escaping entries aim at).
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Destination => _temp.Combine("dest");

    private string Outside => _temp.Combine("outside");

    private static ArchiveExtractor Extractor(long maxFileBytes = 50L * 1024 * 1024, long maxExtractedBytes = 20L * 1024 * 1024 * 1024, int maxEntries = 500_000) =>
        new(Microsoft.Extensions.Options.Options.Create(new ImportOptions { MaxExtractedBytes = maxExtractedBytes, MaxArchiveEntries = maxEntries }),
            Microsoft.Extensions.Options.Options.Create(new ImageValidationOptions { MaxFileBytes = maxFileBytes }));

    private static byte[] Bytes(int count, byte fill = (byte)'x') => Enumerable.Repeat(fill, count).ToArray();

    private string Zip(params (string Name, byte[] Data)[] entries)
    {
        var path = _temp.Combine("archive.zip");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, data) in entries)
        {
            using var stream = zip.CreateEntry(name).Open();
            stream.Write(data);
        }

        return path;
    }

    private string Tar(bool gzip, params TarEntry[] entries)
    {
        var path = _temp.Combine(gzip ? "archive.tar.gz" : "archive.tar");
        using var file = File.Create(path);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        return path;
    }

    private static PaxTarEntry Entry(string name, byte[] data) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) };

    private static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    /// <summary>Every file under the temp folder that is neither the archive nor inside the destination.</summary>
    private List<string> FilesOutsideDestination()
    {
        var destination = Path.GetFullPath(Destination) + Path.DirectorySeparatorChar;
        return [.. Directory.EnumerateFiles(_temp.Path, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(destination, StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("archive.", StringComparison.Ordinal))];
    }

    private List<string> FilesInDestination() =>
        [.. Directory.EnumerateFiles(Destination, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Destination, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Zip_extracts_good_entries_and_refuses_every_escaping_one()
    {
        Directory.CreateDirectory(Outside);
        var absoluteInside = Path.Combine(Outside, "abs.jpg"); // an absolute name we can check afterwards
        var archive = Zip(
            ("cats/a.jpg", Bytes(10, (byte)'a')),
            ("../evil.jpg", Bytes(10)),
            ("a/../../evil.jpg", Bytes(10)),
            ("/abs.jpg", Bytes(10)),
            (absoluteInside, Bytes(10)),
            ("..\\evil-backslash.jpg", Bytes(10)),
            ("C:/windows.jpg", Bytes(10)),
            ("cats/./b.jpg", Bytes(10, (byte)'b')),
            ("dogs/", []));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["cats/a.jpg", "cats/b.jpg"], FilesInDestination());
        Assert.Equal(Bytes(10, (byte)'a'), await File.ReadAllBytesAsync(Path.Combine(Destination, "cats", "a.jpg")));
        Assert.Empty(FilesOutsideDestination());
        Assert.False(File.Exists(absoluteInside));
        var reasons = skipped.ToDictionary(s => s.Name, s => s.Reason);
        Assert.Equal(6, reasons.Count);
        Assert.Contains("'..'", reasons["../evil.jpg"]);
        Assert.Contains("'..'", reasons["a/../../evil.jpg"]);
        Assert.Contains("'..'", reasons["..\\evil-backslash.jpg"]);
        Assert.Contains("absolute path", reasons["/abs.jpg"]);
        Assert.Contains("absolute path", reasons[absoluteInside]);
        Assert.Contains("absolute path", reasons["C:/windows.jpg"]);
    }

    [Fact]
    public async Task Zip_symbolic_link_entries_are_not_extracted()
    {
        var path = _temp.Combine("archive.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            var link = zip.CreateEntry("link.jpg");
            // Unix mode 0120777 (S_IFLNK | rwxrwxrwx) in the high 16 bits, as Info-ZIP stores symlinks; the data is the target.
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16));
            using (var stream = link.Open())
            {
                stream.Write("/etc/passwd"u8);
            }

            using var good = zip.CreateEntry("good.jpg").Open();
            good.Write(Bytes(5));
        }

        var skipped = await Extractor().ExtractAsync(path, Destination, CancellationToken.None);

        Assert.Equal(["good.jpg"], FilesInDestination());
        var entry = Assert.Single(skipped);
        Assert.Equal("link.jpg", entry.Name);
        Assert.Contains("symbolic link", entry.Reason);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Tar_extracts_good_entries_and_refuses_escapes_links_and_devices(bool gzip)
    {
        Directory.CreateDirectory(Outside);
        var archive = Tar(gzip,
            Entry("cats/a.jpg", Bytes(10, (byte)'a')),
            Entry("../evil.jpg", Bytes(10)),
            Entry("a/../../evil.jpg", Bytes(10)),
            Entry("/abs.jpg", Bytes(10)),
            // A link to the outside folder, then a file "through" it: the link is refused, so the file lands in a real
            // folder inside the destination.
            Link(TarEntryType.SymbolicLink, "escape", Outside),
            Entry("escape/through-link.jpg", Bytes(10, (byte)'t')),
            Link(TarEntryType.SymbolicLink, "cats/passwd.jpg", "/etc/passwd"),
            Link(TarEntryType.HardLink, "cats/hard.jpg", "/etc/passwd"),
            new PaxTarEntry(TarEntryType.Fifo, "cats/fifo.jpg"),
            new PaxTarEntry(TarEntryType.Directory, "dogs/"),
            Entry("dogs/b.jpg", Bytes(20, (byte)'b')));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["cats/a.jpg", "dogs/b.jpg", "escape/through-link.jpg"], FilesInDestination());
        Assert.False(new FileInfo(Path.Combine(Destination, "escape")).Attributes.HasFlag(FileAttributes.ReparsePoint));
        Assert.Equal(Bytes(20, (byte)'b'), await File.ReadAllBytesAsync(Path.Combine(Destination, "dogs", "b.jpg")));
        Assert.Empty(FilesOutsideDestination());
        var reasons = skipped.ToDictionary(s => s.Name, s => s.Reason);
        Assert.Equal(7, reasons.Count);
        Assert.Contains("'..'", reasons["../evil.jpg"]);
        Assert.Contains("'..'", reasons["a/../../evil.jpg"]);
        Assert.Contains("absolute path", reasons["/abs.jpg"]);
        Assert.Contains("SymbolicLink entries are not extracted", reasons["escape"]);
        Assert.Contains("SymbolicLink entries are not extracted", reasons["cats/passwd.jpg"]);
        Assert.Contains("HardLink entries are not extracted", reasons["cats/hard.jpg"]);
        Assert.Contains("Fifo entries are not extracted", reasons["cats/fifo.jpg"]);
    }

    [Fact]
    public async Task An_entry_over_the_file_cap_is_skipped_and_one_at_the_cap_is_extracted()
    {
        var archive = Zip(("small.jpg", Bytes(1000)), ("big.jpg", Bytes(1001)), ("after.jpg", Bytes(3)));

        var skipped = await Extractor(maxFileBytes: 1000).ExtractAsync(archive, Destination, CancellationToken.None);

        // No partial "big.jpg.part" either.
        Assert.Equal(["after.jpg", "small.jpg"], FilesInDestination());
        var entry = Assert.Single(skipped);
        Assert.Equal("big.jpg", entry.Name);
        Assert.Contains("larger than the 1,000 bytes file cap", entry.Reason);
    }

    [Fact]
    public async Task A_highly_compressed_entry_is_capped_on_the_bytes_it_expands_to()
    {
        // 8 MB of zeros deflates to a few KB: the cap must hold on what comes out, not on the archive's size.
        var archive = Zip(("bomb.jpg", new byte[8 * 1024 * 1024]), ("ok.jpg", Bytes(10)));
        Assert.True(new FileInfo(archive).Length < 64 * 1024);

        var skipped = await Extractor(maxFileBytes: 1024 * 1024).ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["ok.jpg"], FilesInDestination());
        Assert.Contains("1 MB file cap", Assert.Single(skipped).Reason);
    }

    [Fact]
    public async Task Extraction_stops_at_the_total_bytes_cap_without_leaving_partial_files()
    {
        var archive = Tar(gzip: true, Entry("1.jpg", Bytes(1000)), Entry("2.jpg", Bytes(1000)), Entry("3.jpg", Bytes(1000)), Entry("4.jpg", Bytes(1000)));

        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Extractor(maxExtractedBytes: 2500).ExtractAsync(archive, Destination, CancellationToken.None));

        Assert.Contains("expands to more than 2.4 KB", error.Message); // 2500 bytes = 2.44 KB
        Assert.Equal(["1.jpg", "2.jpg"], FilesInDestination());
        Assert.Empty(FilesOutsideDestination());
    }

    [Fact]
    public async Task Extraction_stops_at_the_entry_count_cap_counting_refused_entries_too()
    {
        // Refused entries cost a line in the skipped list each, so a flood of them has to hit the cap as well.
        var archive = Tar(gzip: false,
            Link(TarEntryType.SymbolicLink, "l1", "/"),
            Link(TarEntryType.SymbolicLink, "l2", "/"),
            Entry("a.jpg", Bytes(1)),
            Link(TarEntryType.SymbolicLink, "l3", "/"));

        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Extractor(maxEntries: 3).ExtractAsync(archive, Destination, CancellationToken.None));

        Assert.Contains("more than 3 entries", error.Message);
    }

    [Fact]
    public async Task Entry_count_cap_allows_exactly_the_cap()
    {
        var archive = Zip(("1.jpg", Bytes(1)), ("2.jpg", Bytes(1)), ("3.jpg", Bytes(1)));

        var skipped = await Extractor(maxEntries: 3).ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Empty(skipped);
        Assert.Equal(3, FilesInDestination().Count);
    }

    [Fact]
    public async Task A_file_that_is_no_archive_is_refused()
    {
        var path = _temp.Combine("archive.zip");
        await File.WriteAllTextAsync(path, "just some text, named like a zip");

        var error = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor().ExtractAsync(path, Destination, CancellationToken.None));

        Assert.Contains("neither .zip nor .tar", error.Message);
        Assert.Empty(FilesInDestination());
    }

    [Fact]
    public async Task A_corrupt_zip_is_refused_as_unreadable()
    {
        var path = _temp.Combine("archive.zip");
        // A local file header signature followed by garbage: detected as zip, but there is no central directory.
        await File.WriteAllBytesAsync(path, [0x50, 0x4B, 0x03, 0x04, .. Bytes(500, 0x17)]);

        var error = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor().ExtractAsync(path, Destination, CancellationToken.None));

        Assert.Contains("unreadable zip", error.Message);
    }

    [Fact]
    public async Task A_zip_entry_with_corrupt_data_is_skipped_and_the_others_extracted()
    {
        var archive = Zip(("bad.jpg", Bytes(4000, (byte)'q')), ("good.jpg", Bytes(10, (byte)'g')));
        var bytes = await File.ReadAllBytesAsync(archive);
        // The first entry's compressed data follows its local header: 30 fixed bytes, then the name and extra field,
        // whose lengths are at offsets 26 and 28. Overwrite the start of the deflate stream.
        var start = 30 + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(28));
        bytes.AsSpan(start, 8).Fill(0xFF);

        await File.WriteAllBytesAsync(archive, bytes);

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["good.jpg"], FilesInDestination());
        var entry = Assert.Single(skipped);
        Assert.Equal("bad.jpg", entry.Name);
        Assert.Contains("corrupt zip entry", entry.Reason);
    }

    [Fact]
    public async Task A_truncated_tar_gz_is_refused_whole_and_leaves_no_partial_file()
    {
        // Random bytes do not compress, so half of the .tar.gz ends inside the second entry's data. A tar has no index:
        // what followed the break cannot be named, so importing "first.jpg" alone would be a silent loss.
        var noise = new byte[200_000];
        new Random(7).NextBytes(noise);
        var archive = Tar(gzip: true, Entry("first.jpg", Bytes(100, (byte)'f')), Entry("second.jpg", noise));
        var bytes = await File.ReadAllBytesAsync(archive);
        await File.WriteAllBytesAsync(archive, bytes[..(bytes.Length / 2)]);

        var refused = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor().ExtractAsync(archive, Destination, CancellationToken.None));

        Assert.Contains("cut short", refused.Message);
        Assert.Contains("2 entries were read up to the break", refused.Message);
        Assert.DoesNotContain("second.jpg", FilesInDestination());
    }

    [Fact]
    public async Task A_destination_given_with_a_trailing_separator_still_works()
    {
        var archive = Zip(("cats/a.jpg", Bytes(3)));

        var skipped = await Extractor().ExtractAsync(archive, Destination + Path.DirectorySeparatorChar, CancellationToken.None);

        Assert.Empty(skipped);
        Assert.Equal(["cats/a.jpg"], FilesInDestination());
    }

    [Fact]
    public async Task Entries_naming_the_folder_itself_are_refused()
    {
        var archive = Tar(gzip: false, Entry(".", Bytes(3)), Entry("./.", Bytes(3)), Entry("ok.jpg", Bytes(3)));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["ok.jpg"], FilesInDestination());
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, s => Assert.Contains("empty or invalid name", s.Reason));
    }

    [Fact]
    public async Task A_name_used_for_a_file_and_a_folder_skips_the_later_entry_instead_of_failing()
    {
        var archive = Tar(gzip: false,
            Entry("x", Bytes(1, (byte)'1')),
            Entry("x/inside.jpg", Bytes(1)),
            Entry("y/inside.jpg", Bytes(1, (byte)'2')),
            Entry("y", Bytes(1)),
            Entry("z.jpg", Bytes(1)));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["x", "y/inside.jpg", "z.jpg"], FilesInDestination());
        Assert.Equal(["x/inside.jpg", "y"], skipped.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.All(skipped, s => Assert.Contains("clashes with an earlier entry", s.Reason));
    }

    [Fact]
    public async Task A_name_too_long_for_the_file_system_skips_that_entry_only()
    {
        // Linux allows 255 bytes per name; both a long file name and a long folder name must be refused per entry.
        var longName = new string('n', 300);
        var archive = Tar(gzip: false, Entry(longName + ".jpg", Bytes(1)), Entry(longName + "/a.jpg", Bytes(1)), Entry("ok.jpg", Bytes(1)));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["ok.jpg"], FilesInDestination());
        Assert.Equal(2, skipped.Count);
        Assert.All(skipped, s => Assert.Contains("too long", s.Reason));
    }

    [Fact]
    public async Task Duplicate_names_keep_the_first_entry_and_report_the_second()
    {
        var archive = Tar(gzip: false, Entry("a.jpg", Bytes(3, (byte)'1')), Entry("a.jpg", Bytes(4, (byte)'2')));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Contains("same name", Assert.Single(skipped).Reason);
        Assert.Equal(Bytes(3, (byte)'1'), await File.ReadAllBytesAsync(Path.Combine(Destination, "a.jpg")));
    }

    [Fact]
    public async Task Cancellation_stops_extraction()
    {
        var archive = Zip(("a.jpg", Bytes(3)));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Extractor().ExtractAsync(archive, Destination, cancelled.Token));
        Assert.Empty(FilesInDestination());
    }

    [Fact]
    public void Detect_identifies_archives_by_content_not_by_name()
    {
        var zip = Zip(("a.jpg", Bytes(1)));
        var tar = Tar(gzip: false, Entry("a.jpg", Bytes(1)));
        var tgz = Tar(gzip: true, Entry("a.jpg", Bytes(1)));
        var text = _temp.Combine("text.tar.gz");
        File.WriteAllText(text, "not an archive");
        var empty = _temp.Combine("empty.zip");
        File.WriteAllBytes(empty, []);

        Assert.Equal(ArchiveExtractor.Kind.Zip, ArchiveExtractor.Detect(zip));
        Assert.Equal(ArchiveExtractor.Kind.Tar, ArchiveExtractor.Detect(tar));
        Assert.Equal(ArchiveExtractor.Kind.GzipTar, ArchiveExtractor.Detect(tgz));
        Assert.Equal(ArchiveExtractor.Kind.Unknown, ArchiveExtractor.Detect(text));
        Assert.Equal(ArchiveExtractor.Kind.Unknown, ArchiveExtractor.Detect(empty));
    }

    [Theory]
    [InlineData("a.jpg", "a.jpg")]
    [InlineData("cats/a.jpg", "cats/a.jpg")]
    [InlineData("cats//./a.jpg", "cats/a.jpg")]
    [InlineData("cats\\a.jpg", "cats/a.jpg")]
    [InlineData("..", null)]
    [InlineData("../a.jpg", null)]
    [InlineData("cats/../../a.jpg", null)]
    [InlineData("cats/..", null)]
    [InlineData("/etc/passwd", null)]
    [InlineData("\\\\server\\share\\a.jpg", null)]
    [InlineData("C:\\a.jpg", null)]
    [InlineData("", null)]
    [InlineData("   ", null)]
    [InlineData("a\0.jpg", null)]
    public void SafeTarget_keeps_names_inside_the_root(string name, string? expected)
    {
        var root = Path.GetFullPath(Destination) + Path.DirectorySeparatorChar;

        var target = ArchiveExtractor.SafeTarget(root, name, out var reason);

        if (expected is null)
        {
            Assert.Null(target);
            Assert.False(string.IsNullOrWhiteSpace(reason));
        }
        else
        {
            Assert.Equal(Path.Combine(root, expected), target);
            Assert.Null(reason);
        }
    }

    [Theory]
    [InlineData(1000, "1,000 bytes")]
    [InlineData(1536, "1.5 KB")]
    [InlineData(50L * 1024 * 1024, "50 MB")]
    [InlineData(20L * 1024 * 1024 * 1024, "20 GB")]
    public void Sizes_in_messages_read_well_for_small_and_large_caps(long bytes, string expected)
    {
        Assert.Equal(expected, ArchiveExtractor.Size(bytes));
    }

    [Fact]
    public async Task Extracted_text_is_not_altered()
    {
        var content = Encoding.UTF8.GetBytes("line 1\r\nline 2\n\u00e9t\u00e9\n");
        var archive = Tar(gzip: true, Entry("notes/readme.txt", content));

        await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(Destination, "notes", "readme.txt")));
    }
}
