using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static LabelPlatform.Tests.Datasets.HostileArchives;

namespace LabelPlatform.Tests.Datasets;

/// <summary>Issue 12, defect 7: every file an import leaves out is reported with its reason; a broken archive never imports as a success.</summary>
public class ImportSkipReportTests
{
    [Fact]
    public async Task A_folder_import_reports_hidden_unfinished_and_linked_files_with_reasons()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder()
            .Add("cats/a.jpg", TestImages.Jpeg(shade: 10))
            .Add("cats/.hidden.jpg", TestImages.Jpeg(shade: 20))
            .Add("cats/b.jpg.part", TestImages.Jpeg(shade: 30))
            .Add(".git/objects/ab", [1, 2, 3])
            .Add("__MACOSX/cats/._a.jpg", [4, 5, 6]);
        File.CreateSymbolicLink(Path.Combine(folder.Root, "cats", "link.jpg"), Path.Combine(folder.Root, "cats", "a.jpg"));

        var (summary, run) = await platform.ImportFolderAsync("skips", folder.Root);

        Assert.Equal(JobState.Succeeded, run.State);
        Assert.Equal(1, summary!.Accepted);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var rejected = await db.RejectedFiles.ToDictionaryAsync(r => r.Origin, r => r.Reason);
        Assert.Equal(5, rejected.Count);
        Assert.Contains("hidden file", rejected["cats/.hidden.jpg"]);
        Assert.Contains(".part", rejected["cats/b.jpg.part"]);
        Assert.Contains("hidden folder '.git'", rejected[".git/"]);
        Assert.Contains("__MACOSX", rejected["__MACOSX/"]);
        Assert.Contains("symbolic link", rejected["cats/link.jpg"]);
        Assert.Equal(5, summary.Rejected);
    }

    [Theory]
    [InlineData("flip-middle")]
    [InlineData("trailer-crc")]
    public async Task A_corrupt_tar_gz_fails_the_import_and_imports_nothing(string corruption)
    {
        await using var platform = await CorePlatform.StartAsync();
        using var temp = new TempFolder();
        var good = Tar(gzip: true, [.. Enumerable.Range(0, 30).Select(i => Entry($"cats/{i:D2}.jpg", TestImages.Jpeg(shade: (byte)(i * 8))))]);
        var archive = temp.Combine("photos.tar.gz");
        await System.IO.File.WriteAllBytesAsync(archive, corruption == "flip-middle" ? FlipMiddle(good) : CorruptTrailerCrc(good));

        var (summary, run) = await platform.ImportArchiveAsync("corrupt", archive);

        // Today's main imported the entries before the break and reported success.
        Assert.Null(summary);
        Assert.Equal(JobState.Failed, run.State);
        Assert.Contains("corrupt or truncated", run.Error);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.Images.CountAsync());
    }

    [Fact]
    public async Task An_archive_import_reports_duplicate_and_hidden_entries_under_the_archive_name()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var temp = new TempFolder();
        var archive = temp.Combine("photos.zip");
        await System.IO.File.WriteAllBytesAsync(archive, Zip(
            ("cats/a.jpg", TestImages.Jpeg(shade: 10)),
            ("cats/A.jpg", TestImages.Jpeg(shade: 90)),
            ("cats/.b.jpg", TestImages.Jpeg(shade: 50))));

        var (summary, run) = await platform.ImportArchiveAsync("dups", archive);

        Assert.Equal(JobState.Succeeded, run.State);
        Assert.Equal((1, 2), (summary!.Accepted, summary.Rejected));
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var rejected = await db.RejectedFiles.ToDictionaryAsync(r => r.Origin, r => r.Reason);
        Assert.Contains("same name", rejected["photos.zip!/cats/A.jpg"]);
        Assert.Contains("hidden file", rejected["photos.zip!/cats/.b.jpg"]);
    }
}
