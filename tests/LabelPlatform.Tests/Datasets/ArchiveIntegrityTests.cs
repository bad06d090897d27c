using System.Formats.Tar;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Images;
using LabelPlatform.Tests.Infrastructure;
using static LabelPlatform.Tests.Datasets.HostileArchives;

namespace LabelPlatform.Tests.Datasets;

/// <summary>Issue 12, defect 7: overlapping zip entries, corrupt or truncated .tar.gz, duplicate names, names left out silently.</summary>
public sealed class ArchiveIntegrityTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Destination => _temp.Combine("dest");

    private static ArchiveExtractor Extractor(long maxExtractedBytes = 20L * 1024 * 1024 * 1024, long maxFileBytes = 50L * 1024 * 1024) =>
        new(Microsoft.Extensions.Options.Options.Create(new ImportOptions { MaxExtractedBytes = maxExtractedBytes }),
            Microsoft.Extensions.Options.Options.Create(new ImageValidationOptions { MaxFileBytes = maxFileBytes }));

    private string Write(string name, byte[] bytes)
    {
        var path = _temp.Combine(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private long BytesInDestination() =>
        Directory.Exists(Destination) ? Directory.EnumerateFiles(Destination, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    private List<string> FilesInDestination() =>
        [.. Directory.EnumerateFiles(Destination, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Destination, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_zip_whose_central_entries_share_one_local_entry_is_refused_before_writing_and_the_reason_names_the_overlap()
    {
        const int inflated = 2 * 1024 * 1024;
        var archive = Write("overlap.zip", Overlapping(count: 50, inflated));
        Assert.True(new FileInfo(archive).Length < 64 * 1024, "the bomb is small");

        var refused = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor().ExtractAsync(archive, Destination, CancellationToken.None));

        Assert.Contains("overlap", refused.Message);
        Assert.Contains("cats/copy-", refused.Message);
        // Today's main wrote the same 2 MB fifty times (100 MB); the cap is the size of one entry at most.
        Assert.True(BytesInDestination() <= inflated, $"{BytesInDestination():N0} bytes written to staging");
    }

    [Fact]
    public async Task A_zip_entry_declaring_more_compressed_bytes_than_the_file_holds_is_refused()
    {
        var archive = Write("zip64.zip", Zip64HugeCompressedSize(Zip(("a.jpg", Text(1000, 1)))));

        var refused = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor().ExtractAsync(archive, Destination, CancellationToken.None));

        Assert.Contains("declares", refused.Message);
    }

    public static TheoryData<string> Corruptions => ["flip-middle", "trailer-crc", "trailer-cut", "half"];

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task A_corrupt_or_truncated_tar_gz_fails_instead_of_importing_what_came_before(string corruption)
    {
        var good = Tar(gzip: true, [.. Enumerable.Range(0, 30).Select(i => Entry($"cats/{i:D2}.jpg", Text(4000, i)))]);
        var bytes = corruption switch
        {
            "flip-middle" => FlipMiddle(good),
            "trailer-crc" => CorruptTrailerCrc(good),
            "trailer-cut" => good[..^8],
            _ => good[..(good.Length / 2)],
        };
        var archive = Write("archive.tar.gz", bytes);

        var refused = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor().ExtractAsync(archive, Destination, CancellationToken.None));

        Assert.Contains("corrupt or truncated", refused.Message);
        Assert.Contains("nothing is imported", refused.Message);
    }

    [Fact]
    public async Task A_tar_gz_without_its_trailer_fails_the_trailer_check_naming_crc_and_size()
    {
        // GZipStream itself ends silently where the trailer is missing; only reading the trailer tells.
        var archive = Write("archive.tar.gz", Tar(gzip: true, Entry("a.jpg", Text(3000, 1)))[..^8]);

        var refused = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor().ExtractAsync(archive, Destination, CancellationToken.None));

        Assert.Contains("gzip trailer does not match", refused.Message);
        Assert.Contains("CRC-32", refused.Message);
    }

    [Fact]
    public async Task An_intact_tar_gz_passes_the_trailer_check()
    {
        var archive = Write("archive.tar.gz", Tar(gzip: true, [.. Enumerable.Range(0, 30).Select(i => Entry($"cats/{i:D2}.jpg", Text(4000, i)))]));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Empty(skipped);
        Assert.Equal(30, FilesInDestination().Count);
    }

    [Fact]
    public async Task A_plain_tar_cut_at_an_entry_boundary_is_refused_for_its_missing_end_marker()
    {
        var tar = Tar(gzip: false, Entry("a.jpg", Text(512, 1)), Entry("b.jpg", Text(1024, 2)), Entry("c.jpg", Text(100, 3)));
        var archive = Write("archive.tar", WithoutEndMarker(tar));

        var refused = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor().ExtractAsync(archive, Destination, CancellationToken.None));

        // TarReader or the end-marker check: either way the whole archive is refused, not three entries imported as all.
        Assert.Contains("corrupt or truncated", refused.Message);
        Assert.Contains("nothing is imported", refused.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Entries_with_the_same_name_keep_the_first_and_report_each_later_one(bool zip)
    {
        byte[] first = Text(10, 1), second = Text(12, 2), third = Text(14, 3);
        var archive = zip
            ? Write("archive.zip", Zip(("cats/a.jpg", first), ("cats/a.jpg", second), ("./cats//A.JPG", third)))
            : Write("archive.tar", Tar(gzip: false, Entry("cats/a.jpg", first), Entry("cats/a.jpg", second), Entry("./cats//A.JPG", third)));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["cats/a.jpg"], FilesInDestination());
        Assert.Equal(first, await System.IO.File.ReadAllBytesAsync(Path.Combine(Destination, "cats", "a.jpg")));
        Assert.Equal(["cats/a.jpg (#2)", "./cats//A.JPG"], skipped.Select(s => s.Name));
        Assert.All(skipped, s => Assert.Contains("same name ('cats/a.jpg'", s.Reason));
    }

    [Fact]
    public async Task Hidden_metadata_and_unfinished_entries_are_reported_with_reasons()
    {
        var archive = Write("archive.zip", Zip(
            ("cats/a.jpg", Text(10, 1)),
            (".DS_Store", Text(10, 2)),
            ("cats/.hidden.jpg", Text(10, 3)),
            ("__MACOSX/cats/._a.jpg", Text(10, 4)),
            (".git/objects/ab", Text(10, 5)),
            ("cats/b.jpg.part", Text(10, 6))));

        var skipped = (await Extractor().ExtractAsync(archive, Destination, CancellationToken.None)).ToDictionary(s => s.Name, s => s.Reason);

        Assert.Equal(["cats/a.jpg"], FilesInDestination());
        Assert.Equal(5, skipped.Count);
        Assert.Contains("hidden file", skipped[".DS_Store"]);
        Assert.Contains("hidden file", skipped["cats/.hidden.jpg"]);
        Assert.Contains("__MACOSX", skipped["__MACOSX/cats/._a.jpg"]);
        Assert.Contains("hidden folder '.git'", skipped[".git/objects/ab"]);
        Assert.Contains(".part", skipped["cats/b.jpg.part"]);
    }

    [Fact]
    public async Task Names_with_control_characters_are_refused_with_a_reason()
    {
        var archive = Write("archive.tar", Tar(gzip: false, new UstarTarEntry(TarEntryType.RegularFile, "cats/line\nbreak.jpg") { DataStream = new MemoryStream(Text(10, 1)) }, Entry("cats/ok.jpg", Text(10, 2))));

        var skipped = await Extractor().ExtractAsync(archive, Destination, CancellationToken.None);

        Assert.Equal(["cats/ok.jpg"], FilesInDestination());
        Assert.Contains("control characters", Assert.Single(skipped).Reason);
    }

    [Fact]
    public async Task A_tar_gz_bomb_is_stopped_by_what_it_expands_to_even_in_entries_that_are_skipped()
    {
        // One 64 MB entry over the 1 MB file cap is never written, but inflating it past the 8 MB total costs CPU all the same.
        var archive = Write("bomb.tar.gz", Tar(gzip: true, Entry("bomb.jpg", new byte[64 * 1024 * 1024])));

        var refused = await Assert.ThrowsAsync<ImportSourceException>(() => Extractor(maxExtractedBytes: 8 * 1024 * 1024, maxFileBytes: 1024 * 1024).ExtractAsync(archive, Destination, CancellationToken.None));

        Assert.Contains("expands to more than", refused.Message);
        Assert.Equal(0, BytesInDestination());
    }
}
