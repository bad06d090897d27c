using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.ML.OnnxRuntime;

namespace LabelPlatform.Tests.Embeddings;

/// <summary>Registry and embed job over real SQLite files and the real models (shared MobileNetV2 int8, shipped ResNet18).</summary>
public class EmbeddingPipelineTests
{
    [Fact]
    public async Task MobileNetV2_is_derived_from_tensor_627_and_matches_the_shared_embedding_model()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder().AddCaltech("accordion", 3).AddCaltech("Faces", 2).AddCaltech("BACKGROUND_Google", 1);
        await platform.ImportFolderAsync("caltech-mini", folder.Root);

        var model = await platform.Get<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2);
        var (summary, _) = await platform.EmbedAsync("caltech-mini", model!);

        Assert.Equal(("627", ModelRegistry.PooledOutputName, 1280), (model!.DerivedFromTensor, model.OutputName, model.Dimension));
        Assert.Equal((6, 6, 0, 0), (summary!.Total, summary.Embedded, summary.Skipped, summary.Failed));

        // The reference: the shared file with GlobalAveragePool(627) -> Flatten already added by hand, fed the same
        // preprocessed pixels. The derived model must give the same vector (cosine >= 0.9999, the bar).
        using var reference = new InferenceSession(SharedPaths.MobileNetV2Embedding);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var store = platform.Get<LabelPlatform.Core.Images.ImageStore>();
        foreach (var row in await db.Embeddings.Join(db.Images, e => e.ImageId, i => i.Id, (e, i) => new { e.Vector, i.Sha256, i.Format }).ToListAsync())
        {
            var input = new float[ImagePreprocessor.InputLength(model.Preprocessing)];
            platform.Get<ImagePreprocessor>().Fill(await store.ReadOriginalAsync(row.Sha256, row.Format, default), model.Preprocessing, input);
            using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 224, 224]);
            using var options = new RunOptions();
            using var output = reference.Run(options, ["input"], [value], ["embedding"]);
            var expected = output[0].GetTensorDataAsSpan<float>().ToArray();
            var stored = VectorCodec.FromBytes(row.Vector);
            Assert.Equal(1280, stored.Length);
            Assert.True(VectorCodec.Cosine(expected, stored) >= 0.9999f, $"cosine {VectorCodec.Cosine(expected, stored)}");
            Assert.InRange(System.Numerics.Tensors.TensorPrimitives.Norm(stored), 0.999f, 1.001f);
        }
    }

    [Fact]
    public async Task A_second_run_embeds_nothing_and_a_missing_file_is_a_recorded_failure()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder().AddCaltech("anchor", 4);
        await platform.ImportFolderAsync("rerun", folder.Root);
        var model = (await platform.Get<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;

        var (first, _) = await platform.EmbedAsync("rerun", model);
        using (var more = new ImportFolder().AddCaltech("ant", 2))
        {
            await platform.ImportFolderAsync("rerun", more.Root);
        }

        // One new image loses its file: it fails alone, the other is embedded.
        await using (var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            var victim = await db.Images.OrderByDescending(i => i.Id).FirstAsync();
            await platform.Get<LabelPlatform.Core.Images.IBlobStorage>().DeleteAsync(LabelPlatform.Core.Images.ImageStore.OriginalKey(victim.Sha256, victim.Format), default);
        }

        var (second, run) = await platform.EmbedAsync("rerun", model);

        Assert.Equal((4, 4, 0, 0), (first!.Total, first.Embedded, first.Skipped, first.Failed));
        Assert.Equal((6, 1, 4, 1), (second!.Total, second.Embedded, second.Skipped, second.Failed));
        Assert.Equal(JobState.Succeeded, run.State);
        await using var check = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(5, await check.Embeddings.CountAsync());
        Assert.Contains("cannot read image", (await check.JobRunItemErrors.SingleAsync(e => e.JobRunId == run.Id)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inserting_a_vector_twice_keeps_one()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder().Add("c/a.jpg", TestImages.Jpeg());
        await platform.ImportFolderAsync("twice", folder.Root);
        var model = (await platform.Get<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        var contexts = platform.Get<IDbContextFactory<PlatformDbContext>>();
        long imageId;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            imageId = await db.Images.Select(i => i.Id).SingleAsync();
        }

        var vector = new float[1280];
        vector[0] = 1;
        var first = await EmbeddingService.InsertAsync(contexts, TimeProvider.System, null, model.Id, [(imageId, vector)], CancellationToken.None);
        var second = await EmbeddingService.InsertAsync(contexts, TimeProvider.System, null, model.Id, [(imageId, vector)], CancellationToken.None);

        Assert.Equal((1, 0), (first, second));
        await using var check = await contexts.CreateDbContextAsync();
        Assert.Equal(1, await check.Embeddings.CountAsync());
    }

    [Fact]
    public async Task ResNet18_ships_with_the_build_and_gives_512_d_vectors()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder().AddCaltech("accordion", 2);
        await platform.ImportFolderAsync("resnet", folder.Root);

        var model = await platform.Get<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.ResNet18);
        var (summary, _) = await platform.EmbedAsync("resnet", model!);

        Assert.Equal((512, "Pooling395_Output_0", 1), (model!.Dimension, model.OutputName, model.FixedBatchSize));
        Assert.Null(model.DerivedFromTensor);
        Assert.Equal(2, summary!.Embedded);
    }

    [Fact]
    public async Task Without_the_shared_model_the_default_falls_back_to_ResNet18()
    {
        await using var platform = await CorePlatform.StartAsync(new() { ["Embeddings:MobileNetV2Path"] = "/nonexistent/mobilenet.onnx" });

        var model = await platform.Get<ModelRegistry>().ResolveDefaultAsync();

        Assert.Equal(ModelRegistry.ResNet18, model.Name);
    }
}
