using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Infrastructure;

/// <summary>A made-up labelled dataset with made-up unit vectors for one model row, and runs evaluated in the test's thread.</summary>
public sealed record SeededDataset(int DatasetId, int ModelId, IReadOnlyList<int> ClassIds, IReadOnlyList<long> ImageIds);

public static class EvaluationSeed
{
    public const int Dimension = 8;

    /// <summary>
    /// Classes of <paramref name="perClass"/> images each. Class c's vectors lean towards axis c and, less, axis c+1,
    /// with seeded noise, so neighbouring classes get confused now and then (the report has off-diagonal cells).
    /// </summary>
    public static async Task<SeededDataset> CreateAsync(IServiceProvider services, string name, int classes = 3, int perClass = 20, int seed = 7)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var now = DateTimeOffset.UtcNow;
        var dataset = new Dataset { Name = name, CreatedAt = now };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync();
        var classRows = Enumerable.Range(0, classes).Select(c => new ImageClass { DatasetId = dataset.Id, Name = $"class-{(char)('a' + c)}", CreatedAt = now }).ToList();
        var model = new EmbeddingModel
        {
            Name = $"{name}-model", Version = 1, Sha256 = new string('c', 64), SourceSha256 = new string('c', 64), Origin = "test",
            InputName = "input", OutputName = "output", Dimension = Dimension, CreatedAt = now,
        };
        db.AddRange(classRows);
        db.Add(model);
        await db.SaveChangesAsync();

        var images = new List<(DatasetImage Image, int Class)>();
        for (var c = 0; c < classes; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{name}/{c}/{i}")));
                images.Add((new DatasetImage { DatasetId = dataset.Id, Sha256 = sha, Format = "JPEG", Origin = $"{c}/{i}.jpg", Width = 1, Height = 1, Bytes = 1, SourceClassId = classRows[c].Id, CreatedAt = now }, c));
            }
        }

        db.Images.AddRange(images.Select(x => x.Image));
        await db.SaveChangesAsync();

        var random = new Random(seed);
        foreach (var (image, c) in images)
        {
            var vector = new float[Dimension];
            vector[c % Dimension] = 1f;
            vector[(c + 1) % Dimension] += 0.6f;
            for (var d = 0; d < Dimension; d++)
            {
                vector[d] += (float)((random.NextDouble() - 0.5) * 1.2);
            }

            VectorCodec.Normalize(vector);
            db.Embeddings.Add(new ImageEmbedding { ImageId = image.Id, ModelId = model.Id, Vector = VectorCodec.ToBytes(vector), CreatedAt = now });
        }

        await db.SaveChangesAsync();
        return new SeededDataset(dataset.Id, model.Id, [.. classRows.Select(c => c.Id)], [.. images.Select(x => x.Image.Id)]);
    }

    /// <summary>Records a run and executes its job here (no Hangfire), so the report exists when this returns.</summary>
    public static async Task<EvaluationRun> EvaluateAsync(IServiceProvider services, int datasetId, int splitId, int? modelId, IReadOnlyList<int>? ks = null, int mainK = 10)
    {
        var evaluations = services.GetRequiredService<EvaluationService>();
        var (run, job) = await evaluations.CreateRunAsync(new EvaluationRequest
        {
            DatasetId = datasetId, SplitId = splitId, ModelId = modelId, Ks = ks ?? [1, 5, 10, 20], MainK = mainK, StartedBy = "test",
        }, enqueue: false);
        using var scope = services.CreateScope();
        var summary = await scope.ServiceProvider.GetRequiredService<EvaluateJob>().RunAsync(job.Id, CancellationToken.None);
        Assert.NotNull(summary);
        return run;
    }
}
