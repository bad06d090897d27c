using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Evaluation;

/// <summary>Splits and runs over a real SQLite file, with made-up vectors (no model needed).</summary>
public class EvaluationServiceTests
{
    private sealed record Seeded(int DatasetId, int ModelId, Dictionary<string, int> Classes, List<long> Images);

    /// <summary>Two well-separated classes of 12 images each plus a noise class of 12, with unit vectors near each class's axis.</summary>
    private static async Task<Seeded> SeedAsync(CorePlatform platform, bool embed = true)
    {
        var dataset = await platform.Get<DatasetService>().GetOrCreateAsync("eval", null, "test");
        var classes = await platform.Get<DatasetService>().EnsureClassesAsync(dataset.Id, ["cats", "dogs", "clutter"], "clutter");
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var model = new EmbeddingModel { Name = "fake", Version = 1, Sha256 = new string('c', 64), SourceSha256 = new string('c', 64), Origin = "test", InputName = "in", OutputName = "out", Dimension = 3, CreatedAt = DateTimeOffset.UtcNow };
        db.EmbeddingModels.Add(model);
        var random = new Random(3);
        var images = new List<DatasetImage>();
        foreach (var (name, axis) in new[] { ("cats", 0), ("dogs", 1), ("clutter", 2) })
        {
            for (var i = 0; i < 12; i++)
            {
                images.Add(new DatasetImage { DatasetId = dataset.Id, Sha256 = $"{name}-{i}-".PadRight(64, '0'), Format = "JPEG", Origin = $"{name}/{i}.jpg", SourceClassId = classes[name], Width = 1, Height = 1, Bytes = 1, CreatedAt = DateTimeOffset.UtcNow });
            }
        }

        db.Images.AddRange(images);
        await db.SaveChangesAsync();
        if (embed)
        {
            foreach (var image in images)
            {
                var axis = image.SourceClassId == classes["cats"] ? 0 : image.SourceClassId == classes["dogs"] ? 1 : 2;
                var v = new float[3];
                for (var d = 0; d < 3; d++)
                {
                    v[d] = (d == axis ? 1f : 0f) + (float)(random.NextDouble() * 0.3);
                }

                VectorCodec.Normalize(v);
                db.Embeddings.Add(new ImageEmbedding { ImageId = image.Id, ModelId = model.Id, Vector = VectorCodec.ToBytes(v), CreatedAt = DateTimeOffset.UtcNow });
            }

            await db.SaveChangesAsync();
        }

        return new Seeded(dataset.Id, model.Id, classes, [.. images.Select(i => i.Id)]);
    }

    private static async Task<(EvaluationSummary? Summary, JobRun Job)> EvaluateAsync(CorePlatform platform, EvaluationRequest request)
    {
        var service = platform.Get<EvaluationService>();
        var (_, job) = await service.CreateRunAsync(request, enqueue: false);
        var summary = await platform.Get<JobExecutor>().RunAsync(job.Id, async (r, p, ct) => (await service.ExecuteAsync(r, p, ct), "done"), ex => ex is EvaluationException, CancellationToken.None);
        return (summary, (await platform.Get<JobRunService>().FindAsync(job.Id))!);
    }

    [Fact]
    public async Task A_split_is_frozen_and_a_run_stores_its_report_manifest_and_headline_figures()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform);
        var service = platform.Get<EvaluationService>();

        var split = await service.GetOrCreateSplitAsync(seeded.DatasetId, null, SplitProtocols.Article, 2021, "test", 2, 6);
        var same = await service.GetOrCreateSplitAsync(seeded.DatasetId, null, SplitProtocols.Article, 2021, "test", 2, 6);
        var (summary, job) = await EvaluateAsync(platform, new EvaluationRequest { DatasetId = seeded.DatasetId, SplitId = split.Id, ModelId = seeded.ModelId, Ks = [1, 5], MainK = 5 });

        Assert.Equal("article-seed2021", split.Name);
        Assert.Equal(split.Id, same.Id);
        Assert.Equal((6, 18, 12), (split.Queries, split.Candidates, split.Training));
        await Assert.ThrowsAsync<EvaluationException>(() => service.GetOrCreateSplitAsync(seeded.DatasetId, "article-seed2021", SplitProtocols.Article, 7, "test", 2, 6));
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.NotNull(summary);
        Assert.Equal(6, summary.Report.Queries);
        Assert.Equal(1.0, summary.Report.Overall.At(5).Precision, 6);
        Assert.Equal(0, summary.Report.NoiseIntrusion);

        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var run = await db.EvaluationRuns.SingleAsync();
        Assert.Equal(1.0, run.PrecisionAtK!.Value, 6);
        Assert.Contains("\"sha256\": \"cccc", run.ManifestJson, StringComparison.Ordinal);
        Assert.Contains("\"seed\": 2021", run.ManifestJson, StringComparison.Ordinal);
        var stored = await service.LoadReportAsync(run.Id);
        Assert.Equal(summary.Report.ToJson(), stored!.ToJson());
        Assert.Equal(24, await db.SplitImages.CountAsync(s => s.SplitId == split.Id && s.Role != SplitRole.Training));
    }

    [Fact]
    public async Task Relabelling_changes_the_next_run_and_its_label_hash()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform);
        var service = platform.Get<EvaluationService>();
        var split = await service.GetOrCreateSplitAsync(seeded.DatasetId, null, SplitProtocols.LeaveOneOut, 0, "test");
        var request = new EvaluationRequest { DatasetId = seeded.DatasetId, SplitId = split.Id, ModelId = seeded.ModelId, Ks = [5], MainK = 5 };

        var (before, _) = await EvaluateAsync(platform, request);
        await using (var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            // Three cats relabelled as dogs: their own neighbours are now "wrong".
            var cats = await db.Images.Where(i => i.SourceClassId == seeded.Classes["cats"]).OrderBy(i => i.Id).Take(3).ToListAsync();
            cats.ForEach(c => c.SourceClassId = seeded.Classes["dogs"]);
            await db.SaveChangesAsync();
        }

        var (after, _) = await EvaluateAsync(platform, request);

        await using var check = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var hashes = await check.EvaluationRuns.OrderBy(r => r.Id).Select(r => r.LabelStateHash).ToListAsync();
        Assert.NotEqual(hashes[0], hashes[1]);
        Assert.True(after!.Report.Overall.At(5).Precision < before!.Report.Overall.At(5).Precision);
        var comparison = RunComparison.Compare(before.Report, after.Report, 5);
        Assert.NotEmpty(comparison.Worse);
    }

    [Fact]
    public async Task Relabelling_by_labellers_and_reviewers_changes_the_next_report_and_the_comparison_shows_it()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform);
        var service = platform.Get<EvaluationService>();
        var labelling = platform.Get<LabelSubmissions>();
        var decisions = platform.Get<ReviewDecisions>();
        var split = await service.GetOrCreateSplitAsync(seeded.DatasetId, null, SplitProtocols.LeaveOneOut, 0, "test");
        var request = new EvaluationRequest { DatasetId = seeded.DatasetId, SplitId = split.Id, ModelId = seeded.ModelId, Ks = [5], MainK = 5 };
        var (before, _) = await EvaluateAsync(platform, request);

        // Import labels stay as they are; people relabel: two cats become dogs by consensus (two labellers agree,
        // overlap 2), two more by a reviewer's final label, and one image is rejected as a bad image.
        var cats = seeded.Images.Take(5).ToList();
        var dogs = seeded.Classes["dogs"];
        foreach (var (image, i) in cats.Take(2).Select((c, i) => (c, i)))
        {
            foreach (var user in new[] { "labeller-1", "labeller-2" })
            {
                await labelling.SubmitAsync(new SubmitRequest(seeded.DatasetId, user, $"{user}-{i}", "single", [new LabelItem(image, LabelEventKind.Label, dogs)]));
            }
        }

        await decisions.SetFinalAsync(new ReviewRequest(seeded.DatasetId, cats[2], "reviewer", "r-1", dogs, false, null));
        await decisions.SetFinalAsync(new ReviewRequest(seeded.DatasetId, cats[3], "reviewer", "r-2", dogs, false, null));
        await decisions.SetFinalAsync(new ReviewRequest(seeded.DatasetId, cats[4], "reviewer", "r-3", null, true, null));
        var (after, _) = await EvaluateAsync(platform, request);

        await using var check = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var runs = await check.EvaluationRuns.OrderBy(r => r.Id).ToListAsync();
        Assert.NotEqual(runs[0].LabelStateHash, runs[1].LabelStateHash);
        Assert.Equal(runs[1].LabelStateHash, (await platform.Get<GroundTruthService>().CurrentAsync(seeded.DatasetId)).Hash);
        // The import labels themselves were never touched.
        Assert.Equal(5, await check.Images.CountAsync(i => cats.Contains(i.Id) && i.SourceClassId == seeded.Classes["cats"]));
        using (var manifest = System.Text.Json.JsonDocument.Parse(runs[1].ManifestJson))
        {
            var labels = manifest.RootElement.GetProperty("labels");
            // Three reviewer decisions (two relabels and the rejection), two consensus labels; one image out.
            Assert.Equal((2, 3, 1), (labels.GetProperty("from_consensus").GetInt32(), labels.GetProperty("from_review").GetInt32(), labels.GetProperty("excluded").GetInt32()));
            Assert.Contains("consensus", labels.GetProperty("source").GetString(), StringComparison.Ordinal);
        }

        // The rejected image is out; the four relabelled cats now query as dogs among cat-like neighbours.
        Assert.Equal(before!.Report.Queries - 1, after!.Report.Queries);
        Assert.True(after.Report.Overall.At(5).Precision < before.Report.Overall.At(5).Precision);
        var comparison = RunComparison.Compare(before.Report, after.Report, 5);
        Assert.Equal((1, 0), (comparison.OnlyInA, comparison.OnlyInB));
        Assert.True(comparison.ApDelta < 0);
        Assert.Contains(comparison.Worse, w => cats.Take(4).Contains(w.ImageId) && w.ClassId == dogs);
    }

    [Fact]
    public async Task A_model_without_embeddings_is_refused_at_submission_with_the_reason_and_no_run_is_stored()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform, embed: false);
        var split = await platform.Get<EvaluationService>().GetOrCreateSplitAsync(seeded.DatasetId, null, SplitProtocols.LeaveOneOut, 0, "test");

        var refused = await Assert.ThrowsAsync<EvaluationException>(() => platform.Get<EvaluationService>().CreateRunAsync(
            new EvaluationRequest { DatasetId = seeded.DatasetId, SplitId = split.Id, ModelId = seeded.ModelId }, enqueue: false));

        Assert.Contains("36 of the split's 36 evaluation images have no fake v1 embedding", refused.Message, StringComparison.Ordinal);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.EvaluationRuns.CountAsync());
        Assert.Equal(0, await db.JobRuns.CountAsync(j => j.Kind == JobKinds.Evaluate));
    }

    [Fact]
    public async Task Embeddings_deleted_after_submission_fail_the_run_with_the_reason_and_store_no_report()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform);
        var split = await platform.Get<EvaluationService>().GetOrCreateSplitAsync(seeded.DatasetId, null, SplitProtocols.LeaveOneOut, 0, "test");
        var service = platform.Get<EvaluationService>();
        var (_, job) = await service.CreateRunAsync(new EvaluationRequest { DatasetId = seeded.DatasetId, SplitId = split.Id, ModelId = seeded.ModelId }, enqueue: false);
        await using (var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            await db.Embeddings.ExecuteDeleteAsync();
        }

        var summary = await platform.Get<JobExecutor>().RunAsync(job.Id, async (r, p, ct) => (await service.ExecuteAsync(r, p, ct), "done"), ex => ex is EvaluationException, CancellationToken.None);

        Assert.Null(summary);
        var failed = (await platform.Get<JobRunService>().FindAsync(job.Id))!;
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("36 of the split's 36 evaluation images have no fake v1 embedding", failed.Error, StringComparison.Ordinal);
        await using var check = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Null((await check.EvaluationRuns.SingleAsync()).ReportGzip);
    }

    [Fact]
    public async Task Bad_split_requests_are_refused_with_reasons()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform);
        var service = platform.Get<EvaluationService>();

        var unknown = await Assert.ThrowsAsync<EvaluationException>(() => service.GetOrCreateSplitAsync(seeded.DatasetId, null, "k-fold", 1, "test"));
        var tooBig = await Assert.ThrowsAsync<EvaluationException>(() => service.GetOrCreateSplitAsync(seeded.DatasetId, null, SplitProtocols.Article, 1, "test", 10, 10));
        var badName = await Assert.ThrowsAsync<EvaluationException>(() => service.GetOrCreateSplitAsync(seeded.DatasetId, "../x", SplitProtocols.Article, 1, "test"));

        Assert.Contains("unknown protocol", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("no class has the 20 images", tooBig.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid split name", badName.Message, StringComparison.Ordinal);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.EvaluationSplits.CountAsync());
    }
}
