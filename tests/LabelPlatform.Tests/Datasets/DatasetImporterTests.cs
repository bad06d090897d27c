using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Datasets;

public class DatasetImporterTests
{
    [Fact]
    public async Task Hostile_files_are_rejected_with_reasons_and_the_rest_is_imported()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder()
            .Add("cats/a.jpg", TestImages.Jpeg(shade: 10))
            .Add("cats/b.png", TestImages.Png())
            .Add("dogs/c.jpg", TestImages.Jpeg(shade: 200))
            .AddHostile("dogs");

        var (summary, run) = await platform.ImportFolderAsync("hostile", folder.Root);

        Assert.NotNull(summary);
        Assert.Equal(JobState.Succeeded, run.State);
        Assert.Equal(3, summary.Accepted);
        Assert.Equal(ImportFolder.Hostile.Length, summary.Rejected);
        Assert.Equal(0, summary.Duplicates);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var rejected = await db.RejectedFiles.ToDictionaryAsync(r => r.Origin, r => r.Reason);
        foreach (var (name, _, reason) in ImportFolder.Hostile)
        {
            Assert.True(rejected.TryGetValue($"dogs/{name}", out var stored), $"{name} was not recorded as rejected");
            Assert.Contains(reason, stored, StringComparison.OrdinalIgnoreCase);
        }

        // The job run's per-item errors carry the same reasons.
        Assert.Equal(ImportFolder.Hostile.Length, await db.JobRunItemErrors.CountAsync(e => e.JobRunId == run.Id));
    }

    [Fact]
    public async Task Re_running_an_import_adds_nothing_and_counts_duplicates()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder().AddCaltech("accordion", 6).AddCaltech("anchor", 4).Add("anchor/copy-of-first.jpg", File.ReadAllBytes(TestImages.CaltechFiles("accordion", 1).First()));

        var (first, _) = await platform.ImportFolderAsync("caltech-part", folder.Root);
        var (second, _) = await platform.ImportFolderAsync("caltech-part", folder.Root);

        // 11 files, one of them the same bytes as another: 10 images, 1 duplicate, on the first run.
        Assert.Equal((10, 1, 0), (first!.Accepted, first.Duplicates, first.Rejected));
        Assert.Equal((0, 11, 0), (second!.Accepted, second.Duplicates, second.Rejected));
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(10, await db.Images.CountAsync());
        Assert.Equal(2, await db.ImageClasses.CountAsync());
    }

    [Fact]
    public async Task Folder_names_become_classes_with_the_noise_class_flagged_and_import_labels_kept()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder().AddCaltech("ant", 3).AddCaltech("BACKGROUND_Google", 2).Add("loose.jpg", TestImages.Jpeg());

        var (summary, _) = await platform.ImportFolderAsync("noise", folder.Root, noiseClass: "BACKGROUND_Google");

        Assert.Equal(6, summary!.Accepted);
        Assert.Equal(2, summary.Classes);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var classes = await db.ImageClasses.ToDictionaryAsync(c => c.Name, c => c);
        Assert.True(classes["BACKGROUND_Google"].IsNoise);
        Assert.False(classes["ant"].IsNoise);
        Assert.Equal(3, await db.Images.CountAsync(i => i.SourceClassId == classes["ant"].Id));
        // A file at the top of the tree has no import label.
        var loose = await db.Images.SingleAsync(i => i.Origin == "loose.jpg");
        Assert.Null(loose.SourceClassId);
        Assert.Equal("JPEG", loose.Format);
        Assert.Equal((64, 48), (loose.Width, loose.Height));
    }

    [Fact]
    public async Task Extensionless_jpeg_is_identified_by_content()
    {
        await using var platform = await CorePlatform.StartAsync();
        // Caltech's BACKGROUND_Google/tmp has no extension and is a JPEG.
        using var folder = new ImportFolder().Add("BACKGROUND_Google/tmp", File.ReadAllBytes(Path.Combine(TestImages.CaltechRoot, "BACKGROUND_Google", "tmp")));

        var (summary, _) = await platform.ImportFolderAsync("noext", folder.Root);

        Assert.Equal(1, summary!.Accepted);
    }

    [Fact]
    public async Task Missing_folder_fails_the_run_with_a_clear_reason()
    {
        await using var platform = await CorePlatform.StartAsync();

        var (summary, run) = await platform.ImportFolderAsync("missing", "/nonexistent/folder/for/test");

        Assert.Null(summary);
        Assert.Equal(JobState.Failed, run.State);
        Assert.Contains("does not exist", run.Error);
    }

    [Fact]
    public async Task Stored_files_are_content_addressed_with_a_thumbnail()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder().AddCaltech("accordion", 2);

        await platform.ImportFolderAsync("store", folder.Root);

        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var store = platform.Get<LabelPlatform.Core.Images.ImageStore>();
        foreach (var image in await db.Images.ToListAsync())
        {
            var original = await store.ReadOriginalAsync(image.Sha256, image.Format, default);
            Assert.Equal(image.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original)));
            await using var thumbnail = (await store.OpenThumbnailAsync(image.Sha256, default))!;
            using var thumb = SixLabors.ImageSharp.Image.Load(thumbnail.Stream);
            Assert.True(Math.Max(thumb.Width, thumb.Height) <= 256);
        }
    }

    [Fact]
    public async Task Folders_outside_the_allowed_list_are_refused_even_with_a_shared_prefix()
    {
        using var allowed = new ImportFolder().Add("c/a.jpg", TestImages.Jpeg());
        var lookalike = allowed.Root + "-evil";
        Directory.CreateDirectory(Path.Combine(lookalike, "c"));
        await File.WriteAllBytesAsync(Path.Combine(lookalike, "c", "b.jpg"), TestImages.Jpeg());
        try
        {
            await using var platform = await CorePlatform.StartAsync(new() { ["Import:AllowedFolders:0"] = allowed.Root });

            var (ok, _) = await platform.ImportFolderAsync("allowed", allowed.Root);
            var (refused, run) = await platform.ImportFolderAsync("refused", lookalike);

            Assert.Equal(1, ok!.Accepted);
            Assert.Null(refused);
            Assert.Contains("outside the folders imports may read", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(lookalike, recursive: true);
        }
    }

    private static readonly string[] CopyClasses = ["zebra", "beaver", "ant"];

    [Theory]
    [InlineData("1", "200")]
    [InlineData("4", "1")]
    public async Task Identical_files_under_other_labels_keep_the_first_by_name_and_record_every_copy(string parallelism, string batchSize)
    {
        // 12 copies of one photo over three classes (zebra first by listing order on purpose: names decide, not folders),
        // plus other images, checked in parallel and committed in batches of one so commits come in any order.
        var photo = File.ReadAllBytes(TestImages.CaltechFiles("accordion", 1).Single());
        using var folder = new ImportFolder();
        var copies = new List<string>();
        foreach (var (cls, i) in CopyClasses.SelectMany(c => Enumerable.Range(0, 4).Select(i => (c, i))))
        {
            var origin = $"{cls}/copy_{i}.jpg";
            folder.Add(origin, photo);
            copies.Add(origin);
            folder.Add($"{cls}/other_{i}.jpg", TestImages.Jpeg(shade: (byte)(copies.Count * 10)));
        }

        await using var platform = await CorePlatform.StartAsync(new() { ["Import:Parallelism"] = parallelism, ["Import:BatchSize"] = batchSize });
        var (summary, run) = await platform.ImportFolderAsync("copies", folder.Root);
        Assert.True(run.State == JobState.Succeeded, run.Error);
        Assert.Equal((13, 11), (summary!.Accepted, summary.Duplicates));

        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var sha = Core.Images.ImageValidator.Sha256Hex(photo);
        var kept = await db.Images.Include(i => i.SourceClass).SingleAsync(i => i.Sha256 == sha);
        var first = copies.Order(StringComparer.Ordinal).First();
        Assert.Equal((first, "ant"), (kept.Origin, kept.SourceClass!.Name));
        var recorded = await db.DuplicateFiles.Where(d => d.ImageId == kept.Id).ToListAsync();
        Assert.Equal(copies.Where(c => c != first).Order(StringComparer.Ordinal), recorded.Select(d => d.Origin).Order(StringComparer.Ordinal));
        var classOf = await db.ImageClasses.ToDictionaryAsync(c => c.Id, c => c.Name);
        Assert.All(recorded, d => Assert.Equal(d.Origin.Split('/')[0], classOf[d.ClassId!.Value]));

        var datasets = platform.Get<Core.Datasets.DatasetService>();
        var conflict = Assert.Single(await datasets.LabelConflictsAsync(kept.DatasetId, 10));
        Assert.Equal((kept.Id, first, 11), (conflict.ImageId, conflict.KeptOrigin, conflict.Copies.Count));
        Assert.Equal((11, 1), await datasets.DuplicateCountsAsync(kept.DatasetId));

        // Imported again: every file is met again, nothing new is recorded and the kept copy stays.
        var (again, _) = await platform.ImportFolderAsync("copies", folder.Root);
        Assert.Equal((0, 24), (again!.Accepted, again.Duplicates));
        Assert.Equal(11, await db.DuplicateFiles.CountAsync());
        Assert.Equal(first, (await db.Images.AsNoTracking().SingleAsync(i => i.Sha256 == sha)).Origin);
    }
}
