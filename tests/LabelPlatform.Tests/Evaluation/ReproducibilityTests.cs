using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Evaluation;

/// <summary>
/// The same folder imported into two installs, with different parallelism and file order (so different row ids),
/// draws the same seeded split and gives identical figures; a split file carries a split to another install.
/// </summary>
public class ReproducibilityTests
{
    private static readonly string[] Classes = ["accordion", "airplanes", "anchor", "ant", "barrel", "bass"];

    private sealed record Install(CorePlatform Platform, int DatasetId, Dictionary<string, long> IdOf);

    /// <summary>Imports the six classes; <paramref name="reversed"/> names each class's files in reverse (same contents, other listing order).</summary>
    private static async Task<Install> ImportAsync(CorePlatform platform, ImportFolder folder)
    {
        var (summary, run) = await platform.ImportFolderAsync("caltech-six", folder.Root);
        Assert.True(run.State == JobState.Succeeded, run.Error);
        Assert.Equal(Classes.Length * 22, summary!.Accepted);
        var dataset = (await platform.Get<DatasetService>().FindByNameAsync("caltech-six"))!;
        var model = (await platform.Get<ModelRegistry>().ResolveAsync(ModelRegistry.MobileNetV2))!;
        var (_, embed) = await platform.EmbedAsync("caltech-six", model);
        Assert.True(embed.State == JobState.Succeeded, embed.Error);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        return new Install(platform, dataset.Id, await db.Images.Where(i => i.DatasetId == dataset.Id).ToDictionaryAsync(i => i.Sha256, i => i.Id));
    }

    private static ImportFolder Folder(bool reversed)
    {
        var folder = new ImportFolder();
        foreach (var name in Classes)
        {
            var files = TestImages.CaltechFiles(name, 22).ToList();
            for (var i = 0; i < files.Count; i++)
            {
                var target = reversed ? $"copy_{files.Count - i:D4}.jpg" : Path.GetFileName(files[i]);
                folder.Add(Path.Combine(name, target), File.ReadAllBytes(files[i]));
            }
        }

        return folder;
    }

    private static async Task<EvaluationSummary> EvaluateAsync(Install install, int splitId, int? modelId)
    {
        var service = install.Platform.Get<EvaluationService>();
        var (_, job) = await service.CreateRunAsync(new EvaluationRequest { DatasetId = install.DatasetId, SplitId = splitId, ModelId = modelId, Ks = [1, 5, 10], MainK = 10 }, enqueue: false);
        var summary = await install.Platform.Get<JobExecutor>().RunAsync(job.Id, async (r, p, ct) => (await service.ExecuteAsync(r, p, ct), "done"), ex => ex is EvaluationException, CancellationToken.None);
        Assert.NotNull(summary);
        return summary;
    }

    private static async Task<Dictionary<string, string>> DigestsAsync(Install install, int splitId)
    {
        await using var db = await install.Platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        return await SplitFiles.DigestsAsync(db, splitId, CancellationToken.None);
    }

    /// <summary>Per query, by content: its AP@10 and its top results as contents.</summary>
    private static List<(string Query, double Ap, string Top)> ByContent(EvaluationSummary summary, Install install)
    {
        var contentOf = install.IdOf.ToDictionary(kv => kv.Value, kv => kv.Key);
        return [.. summary.Report.QueryResults
            .Select(q => (contentOf[q.ImageId], q.At(10).AveragePrecision, string.Join(',', q.Top.Select(t => contentOf[t.ImageId]))))
            .OrderBy(q => q.Item1, StringComparer.Ordinal)];
    }

    [Fact]
    public async Task Two_installs_of_the_same_folder_draw_the_same_split_and_get_identical_figures()
    {
        using var forward = Folder(reversed: false);
        using var backward = Folder(reversed: true);
        await using var first = await CorePlatform.StartAsync();
        await using var second = await CorePlatform.StartAsync(new() { ["Import:Parallelism"] = "1" });
        var a = await ImportAsync(first, forward);
        var b = await ImportAsync(second, backward);
        // The installs gave the same contents other row ids: what used to decide the split.
        Assert.Equal(a.IdOf.Keys.Order(StringComparer.Ordinal), b.IdOf.Keys.Order(StringComparer.Ordinal));
        Assert.True(a.IdOf.Count(kv => b.IdOf[kv.Key] != kv.Value) > a.IdOf.Count / 2, "the two imports handed out the same row ids; the test would prove nothing");

        var splitA = await first.Get<EvaluationService>().GetOrCreateSplitAsync(a.DatasetId, null, SplitProtocols.Article, 2021, "test");
        var splitB = await second.Get<EvaluationService>().GetOrCreateSplitAsync(b.DatasetId, null, SplitProtocols.Article, 2021, "test");

        var digests = await DigestsAsync(a, splitA.Id);
        Assert.Equal(["candidate", "query", "training"], digests.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(digests, await DigestsAsync(b, splitB.Id));
        var modelA = (await first.Get<ModelRegistry>().ResolveAsync(ModelRegistry.MobileNetV2))!.Id;
        var modelB = (await second.Get<ModelRegistry>().ResolveAsync(ModelRegistry.MobileNetV2))!.Id;
        foreach (var (runA, runB) in new[] { (await EvaluateAsync(a, splitA.Id, modelA), await EvaluateAsync(b, splitB.Id, modelB)), (await EvaluateAsync(a, splitA.Id, null), await EvaluateAsync(b, splitB.Id, null)) })
        {
            var (ma, mb) = (runA.Report.Overall.At(10), runB.Report.Overall.At(10));
            Assert.Equal((ma.Precision, ma.AveragePrecision, ma.AveragePrecisionNotebook), (mb.Precision, mb.AveragePrecision, mb.AveragePrecisionNotebook));
            Assert.Equal(runA.Report.Overall.MeanAveragePrecision, runB.Report.Overall.MeanAveragePrecision);
            Assert.Equal(ByContent(runA, a), ByContent(runB, b));
        }

        // The same labels hash alike in both installs, whatever the ids.
        Assert.Equal((await first.Get<GroundTruthService>().CurrentAsync(a.DatasetId)).Hash, (await second.Get<GroundTruthService>().CurrentAsync(b.DatasetId)).Hash);

        // Class-disjoint splits too.
        var disjointA = await first.Get<EvaluationService>().GetOrCreateSplitAsync(a.DatasetId, null, SplitProtocols.ClassDisjoint, 5, "test");
        var disjointB = await second.Get<EvaluationService>().GetOrCreateSplitAsync(b.DatasetId, null, SplitProtocols.ClassDisjoint, 5, "test");
        Assert.Equal("class-disjoint-seed5", disjointA.Name);
        Assert.Equal((66, 66, 66), (disjointA.Queries, disjointA.Candidates, disjointA.Training));
        Assert.Equal(await DigestsAsync(a, disjointA.Id), await DigestsAsync(b, disjointB.Id));
    }

    [Fact]
    public async Task A_split_file_carries_a_split_to_another_install_and_a_file_that_does_not_fit_stores_nothing()
    {
        using var forward = Folder(reversed: false);
        using var backward = Folder(reversed: true);
        await using var first = await CorePlatform.StartAsync();
        await using var second = await CorePlatform.StartAsync(new() { ["Import:Parallelism"] = "1" });
        var a = await ImportAsync(first, forward);
        var b = await ImportAsync(second, backward);
        // Another seed in each install: the import must bring install A's split, not draw its own.
        var split = await first.Get<EvaluationService>().GetOrCreateSplitAsync(a.DatasetId, "shared", SplitProtocols.Article, 7, "test");

        var file = await first.Get<SplitFiles>().ExportAsync(split.Id);
        var text = System.Text.Json.JsonSerializer.Serialize(file, SplitFiles.Json);
        var imported = await second.Get<SplitFiles>().ImportAsync(b.DatasetId, SplitFiles.Parse(text), null, "test");

        Assert.Equal(("shared", SplitProtocols.Article, 7), (imported.Name, imported.Protocol, imported.Seed));
        Assert.Equal((split.Queries, split.Candidates, split.Training), (imported.Queries, imported.Candidates, imported.Training));
        Assert.Equal(await DigestsAsync(a, split.Id), await DigestsAsync(b, imported.Id));
        Assert.Equal(file.Digests, await DigestsAsync(b, imported.Id));
        var runA = await EvaluateAsync(a, split.Id, (await first.Get<ModelRegistry>().ResolveAsync(ModelRegistry.MobileNetV2))!.Id);
        var runB = await EvaluateAsync(b, imported.Id, (await second.Get<ModelRegistry>().ResolveAsync(ModelRegistry.MobileNetV2))!.Id);
        Assert.Equal(ByContent(runA, a), ByContent(runB, b));

        // An image this install lacks, a class it lacks, a name taken: refused with the reason, nothing stored.
        var missing = file with { Name = "other", Images = [.. file.Images.Take(3), new SplitFileImage(new string('e', 64), "accordion", "query")] };
        var unknownClass = file with { Name = "other", Images = [.. file.Images.Skip(1), file.Images[0] with { Class = "zebra" }] };
        var splits = second.Get<SplitFiles>();
        Assert.Contains("is not in this dataset", (await Assert.ThrowsAsync<EvaluationException>(() => splits.ImportAsync(b.DatasetId, missing, null, "test"))).Message, StringComparison.Ordinal);
        Assert.Contains("class 'zebra' is not in this dataset", (await Assert.ThrowsAsync<EvaluationException>(() => splits.ImportAsync(b.DatasetId, unknownClass, null, "test"))).Message, StringComparison.Ordinal);
        Assert.Contains("already has a split named 'shared'", (await Assert.ThrowsAsync<EvaluationException>(() => splits.ImportAsync(b.DatasetId, file, null, "test"))).Message, StringComparison.Ordinal);
        Assert.Throws<EvaluationException>(() => SplitFiles.Parse("{\"format\": \"something else\", \"images\": []}"));
        Assert.Throws<EvaluationException>(() => SplitFiles.Parse("not json"));
        await using var db = await second.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await db.EvaluationSplits.CountAsync());
    }
}
