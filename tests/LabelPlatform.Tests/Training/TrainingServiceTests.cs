using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Training;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Training;

/// <summary>
/// Training over real SQLite with the shared MobileNetV2 as the base model (its file is what the head is exported
/// onto) and made-up stored base vectors, so no image has to be decoded.
/// </summary>
public class TrainingServiceTests
{
    private static readonly TrainingOptions Tiny = new() { Head = HeadKind.Mlp, BaseShare = 0, Dimension = 16, Hidden = 32, Epochs = 6, BatchSize = 32, Scale = 8, LearningRate = 0.01f };

    private sealed record Seeded(int DatasetId, EmbeddingModel Base, EvaluationSplit Split);

    private static async Task<Seeded> SeedAsync(CorePlatform platform, bool embed = true)
    {
        var dataset = await platform.Get<DatasetService>().GetOrCreateAsync("train", null, "test");
        var classes = await platform.Get<DatasetService>().EnsureClassesAsync(dataset.Id, ["a", "b", "c"], null);
        var baseModel = (await platform.Get<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        var random = new Random(4);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var centres = classes.Values.ToDictionary(id => id, _ => Enumerable.Range(0, baseModel.Dimension).Select(_ => (float)random.NextDouble() - 0.5f).ToArray());
        var images = new List<DatasetImage>();
        foreach (var (name, id) in classes)
        {
            for (var i = 0; i < 30; i++)
            {
                images.Add(new DatasetImage { DatasetId = dataset.Id, Sha256 = $"{name}-{i}-".PadRight(64, '0'), Format = "JPEG", Origin = $"{name}/{i}.jpg", SourceClassId = id, Width = 1, Height = 1, Bytes = 1, CreatedAt = DateTimeOffset.UtcNow });
            }
        }

        db.Images.AddRange(images);
        await db.SaveChangesAsync();
        if (embed)
        {
            foreach (var image in images)
            {
                var v = centres[image.SourceClassId!.Value].Select(x => x + (((float)random.NextDouble() - 0.5f) * 1.5f)).ToArray();
                VectorCodec.Normalize(v);
                db.Embeddings.Add(new ImageEmbedding { ImageId = image.Id, ModelId = baseModel.Id, Vector = VectorCodec.ToBytes(v), CreatedAt = DateTimeOffset.UtcNow });
            }

            await db.SaveChangesAsync();
        }

        var split = await platform.Get<EvaluationService>().GetOrCreateSplitAsync(dataset.Id, null, SplitProtocols.Article, 2021, "test", 2, 4);
        return new Seeded(dataset.Id, baseModel, split);
    }

    private static async Task<(TrainingSummary? Summary, JobRun Job)> TrainAsync(CorePlatform platform, Seeded seeded, string name, bool checkHeldOut = true, int? splitId = null)
    {
        var service = platform.Get<TrainingService>();
        var job = await service.CreateRunAsync(seeded.DatasetId, new TrainParameters(splitId ?? seeded.Split.Id, seeded.Base.Id, name, Tiny) { CheckHeldOutClasses = checkHeldOut }, "test", enqueue: false);
        var summary = await platform.Get<JobExecutor>().RunAsync(job.Id, async (r, p, ct) => (await service.RunAsync(r, p, ct), "done"),
            ex => ex is TrainingException or EvaluationException or EmbeddingException, CancellationToken.None);
        return (summary, (await platform.Get<JobRunService>().FindAsync(job.Id))!);
    }

    [Fact]
    public async Task Training_registers_a_model_embeds_the_dataset_and_evaluates_it_against_the_base()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform);

        var (summary, job) = await TrainAsync(platform, seeded, "head-a");

        Assert.True(job.State == JobState.Succeeded, job.Error);
        Assert.NotNull(summary);
        Assert.Equal(16, summary.Model.Dimension);
        Assert.Equal(job.Id, summary.Model.TrainingJobRunId);
        Assert.Equal(6, summary.Comparison.SharedQueries);
        Assert.NotEqual(summary.BaseEvaluationRunId, summary.EvaluationRunId);
        Assert.Contains("\"trained_run\"", summary.Model.TrainingJson, StringComparison.Ordinal);
        Assert.Contains("\"role_used\": \"training only\"", summary.Model.TrainingJson, StringComparison.Ordinal);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(90, await db.Embeddings.CountAsync(e => e.ModelId == summary.Model.Id));
        // The generalisation check: the same options trained on the class-disjoint split of the seed, base against
        // head on the class it held out (30 images, each a query against the other 29).
        var heldOut = summary.HeldOut;
        Assert.NotNull(heldOut);
        Assert.Equal(("class-disjoint-seed2021", 1, 30), (heldOut.Split, heldOut.Classes, heldOut.Queries));
        Assert.Contains("\"held_out_classes\"", summary.Model.TrainingJson, StringComparison.Ordinal);
        Assert.Equal(heldOut.Delta < 0, heldOut.Warning is not null);
        // Reentrant: the same job run again trains nothing new and registers no second version.
        using var progress = platform.Get<JobRunService>().CreateProgress(job.Id);
        var rerun = await platform.Get<TrainingService>().RunAsync(job, progress, CancellationToken.None);
        Assert.Equal(summary.Model.Id, rerun.Model.Id);
        Assert.Equal(heldOut, rerun.HeldOut);
        Assert.Equal(1, await db.EmbeddingModels.CountAsync(m => m.Name == "head-a"));
    }

    [Fact]
    public async Task Training_is_deterministic_and_never_reads_query_or_candidate_vectors()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform);

        var (first, _) = await TrainAsync(platform, seeded, "head-first");
        var (second, _) = await TrainAsync(platform, seeded, "head-second");
        // Overwrite every query and candidate base vector with noise: if training read any of them, its weights would change.
        await using (var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            var evaluationImages = await db.SplitImages.Where(s => s.SplitId == seeded.Split.Id && s.Role != SplitRole.Training).Select(s => s.ImageId).ToListAsync();
            var random = new Random(99);
            foreach (var embedding in await db.Embeddings.Where(e => e.ModelId == seeded.Base.Id && evaluationImages.Contains(e.ImageId)).ToListAsync())
            {
                var v = Enumerable.Range(0, seeded.Base.Dimension).Select(_ => (float)random.NextDouble()).ToArray();
                VectorCodec.Normalize(v);
                embedding.Vector = VectorCodec.ToBytes(v);
            }

            Assert.Equal(18, await db.SaveChangesAsync());
        }

        var (poisoned, _) = await TrainAsync(platform, seeded, "head-poisoned");

        Assert.NotNull(first);
        Assert.Equal(first.Model.Sha256, second!.Model.Sha256);
        Assert.Equal(first.Comparison.PrecisionB, second.Comparison.PrecisionB);
        Assert.Equal(first.Curve.Select(c => c.Loss), second.Curve.Select(c => c.Loss));
        Assert.Equal(first.Model.Sha256, poisoned!.Model.Sha256);
    }

    [Fact]
    public async Task A_split_too_small_to_validate_trains_the_fixed_epochs_and_the_summary_and_manifest_say_so()
    {
        await using var platform = await CorePlatform.StartAsync();
        // 24 training images per class hold out 2 each: 6 images, under the 10 that picking an epoch needs.
        var seeded = await SeedAsync(platform);

        var (summary, job) = await TrainAsync(platform, seeded, "head-fixed");

        Assert.True(job.State == JobState.Succeeded, job.Error);
        Assert.NotNull(summary);
        Assert.StartsWith("validation too small (6 images of 3 classes;", summary.ValidationNote, StringComparison.Ordinal);
        Assert.Contains(summary.ValidationNote!, summary.Describe(), StringComparison.Ordinal);
        Assert.Equal(Tiny.Epochs, summary.BestEpoch);
        Assert.Equal(Tiny.Epochs, summary.Curve.Count);
        Assert.Equal(72, summary.TrainingImages);
        Assert.Contains("\"epoch_choice\": \"Fixed\"", summary.Model.TrainingJson, StringComparison.Ordinal);
        Assert.Contains("\"validation_precision_at10\": null", summary.Model.TrainingJson, StringComparison.Ordinal);
        // A rerun of the job reads it all back from the manifest.
        using var progress = platform.Get<JobRunService>().CreateProgress(job.Id);
        var rerun = await platform.Get<TrainingService>().RunAsync(job, progress, CancellationToken.None);
        Assert.Equal(summary.ValidationNote, rerun.ValidationNote);
        Assert.Equal(Tiny.Epochs, rerun.Curve.Count);
        Assert.True(double.IsNaN(rerun.ValidationPrecisionAt10));
    }

    [Fact]
    public async Task Missing_base_embeddings_and_bad_requests_are_refused_with_reasons()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform, embed: false);
        var service = platform.Get<TrainingService>();

        var (summary, job) = await TrainAsync(platform, seeded, "head-none");
        var badName = await Assert.ThrowsAsync<TrainingException>(() => service.CreateRunAsync(seeded.DatasetId, new TrainParameters(seeded.Split.Id, seeded.Base.Id, "../x", Tiny), "test", false));
        var badSplit = await Assert.ThrowsAsync<TrainingException>(() => service.CreateRunAsync(seeded.DatasetId, new TrainParameters(999, seeded.Base.Id, "ok", Tiny), "test", false));
        var badOptions = await Assert.ThrowsAsync<TrainingException>(() => service.CreateRunAsync(seeded.DatasetId, new TrainParameters(seeded.Split.Id, seeded.Base.Id, "ok", Tiny with { Epochs = 0 }), "test", false));

        Assert.Null(summary);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Contains("72 of the split's 72 training images have no mobilenetv2 v1 embedding", job.Error, StringComparison.Ordinal);
        Assert.Contains("not a valid model name", badName.Message, StringComparison.Ordinal);
        Assert.Contains("is not a split of dataset", badSplit.Message, StringComparison.Ordinal);
        Assert.Contains("epochs", badOptions.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trained_on_a_class_disjoint_split_its_own_evaluation_is_the_held_out_check_and_the_check_can_be_skipped()
    {
        await using var platform = await CorePlatform.StartAsync();
        var seeded = await SeedAsync(platform);
        var disjoint = await platform.Get<EvaluationService>().GetOrCreateSplitAsync(seeded.DatasetId, null, SplitProtocols.ClassDisjoint, 3, "test");

        var (own, ownJob) = await TrainAsync(platform, seeded, "head-disjoint", splitId: disjoint.Id);
        var (skipped, skippedJob) = await TrainAsync(platform, seeded, "head-unchecked", checkHeldOut: false);

        Assert.True(ownJob.State == JobState.Succeeded, ownJob.Error);
        Assert.Equal((disjoint.Name, own!.Comparison.PrecisionA, own.Comparison.PrecisionB), (own.HeldOut!.Split, own.HeldOut.BasePrecisionAtK, own.HeldOut.PrecisionAtK));
        Assert.True(skippedJob.State == JobState.Succeeded, skippedJob.Error);
        Assert.Null(skipped!.HeldOut);
        Assert.Null(await platform.Get<EvaluationService>().FindSplitAsync(seeded.DatasetId, "class-disjoint-seed2021"));
    }

    [Theory]
    [InlineData(0.70, 0.65, true)]
    [InlineData(0.70, 0.70, false)]
    [InlineData(0.70, 0.75, false)]
    public void A_head_worse_than_its_base_on_held_out_classes_is_warned_about(double basePrecision, double headPrecision, bool warned)
    {
        var result = new HeldOutResult("class-disjoint-seed1", 1, 50, 4000, basePrecision, headPrecision, 0.3, 0.3, 0.01, 5);

        Assert.Equal(warned, result.Warning is not null);
        Assert.Equal(headPrecision - basePrecision, result.Delta, 12);
        if (warned)
        {
            Assert.Contains("worse than its base on classes it never saw", result.Warning, StringComparison.Ordinal);
        }
    }
}
