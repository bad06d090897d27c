using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Search;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Testing;

/// <summary>A seeded dataset for the map: its images (ids in row order), the import class of each, and the model.</summary>
public sealed record MapDataset(int DatasetId, int ModelId, long[] ImageIds, int[] ClassIds, Dictionary<int, string> ClassNames)
{
    public int ClassOf(long imageId) => ClassIds[Array.IndexOf(ImageIds, imageId)];
}

/// <summary>
/// A Caltech-sized dataset without importing or embedding anything: image rows with import labels, synthetic
/// clustered unit vectors under a model row of their own (one cluster per class), and a solid-colour thumbnail per
/// image in the data folder so the map's previews show something.
/// </summary>
public static class MapSeed
{
    public static async Task<MapDataset> CreateAsync(IServiceProvider services, string name, int images, int classes, int dimension = 1280, float spread = 1f, ulong seed = 2026)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var blobs = scope.ServiceProvider.GetRequiredService<IBlobStorage>();
        var now = DateTimeOffset.UtcNow;
        var dataset = new Dataset { Name = name, CreatedAt = now };
        db.Datasets.Add(dataset);
        var model = new EmbeddingModel
        {
            Name = $"{name}-synthetic", Version = 1, Sha256 = new string('c', 64), SourceSha256 = new string('c', 64), Origin = "test",
            InputName = "input", OutputName = "output", Dimension = dimension, CreatedAt = now,
        };
        db.EmbeddingModels.Add(model);
        await db.SaveChangesAsync();
        var classRows = Enumerable.Range(0, classes).Select(c => new ImageClass { DatasetId = dataset.Id, Name = $"class-{c:D3}", CreatedAt = now }).ToList();
        db.ImageClasses.AddRange(classRows);
        await db.SaveChangesAsync();

        var synthetic = SyntheticEmbeddings.Clustered(dimension, seed, classes, spread);
        var thumbnails = classRows.Select((_, c) => Thumbnail(c, classes)).ToArray();
        var ids = new long[images];
        var classIds = new int[images];
        for (var start = 0; start < images; start += 1000)
        {
            var count = Math.Min(1000, images - start);
            var rows = new List<DatasetImage>(count);
            for (var r = start; r < start + count; r++)
            {
                var cluster = synthetic.ClassOf(r)!.Value;
                var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{name}/{seed}/{r}")));
                rows.Add(new DatasetImage
                {
                    DatasetId = dataset.Id, Sha256 = sha, Format = "JPEG", Origin = $"{classRows[cluster].Name}/image_{r:D5}.jpg",
                    Width = 32, Height = 32, Bytes = thumbnails[cluster].Length, SourceClassId = classRows[cluster].Id, CreatedAt = now,
                });
                await blobs.PutIfAbsentAsync(ImageStore.ThumbnailKey(sha), thumbnails[cluster], default);
            }

            db.Images.AddRange(rows);
            await db.SaveChangesAsync();
            db.Embeddings.AddRange(rows.Select((row, k) => new ImageEmbedding { ImageId = row.Id, ModelId = model.Id, Vector = VectorCodec.ToBytes(synthetic.Row(start + k)), CreatedAt = now }));
            await db.SaveChangesAsync();
            for (var k = 0; k < count; k++)
            {
                ids[start + k] = rows[k].Id;
                classIds[start + k] = rows[k].SourceClassId!.Value;
            }

            db.ChangeTracker.Clear();
        }

        return new MapDataset(dataset.Id, model.Id, ids, classIds, classRows.ToDictionary(c => c.Id, c => c.Name));
    }

    /// <summary>A 64x64 JPEG in the class's hue, darker in the middle, so neighbouring thumbnails of one class look alike.</summary>
    private static byte[] Thumbnail(int cls, int classes)
    {
        using var image = new Image<Rgb24>(64, 64);
        var hue = 360f * cls / classes;
        var converter = new SixLabors.ImageSharp.ColorSpaces.Conversion.ColorSpaceConverter();
        var outer = converter.ToRgb(new SixLabors.ImageSharp.ColorSpaces.Hsv(hue, 0.6f, 0.95f));
        var inner = converter.ToRgb(new SixLabors.ImageSharp.ColorSpaces.Hsv(hue, 0.8f, 0.55f));
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                var c = Math.Abs(x - 32) < 16 && Math.Abs(y - 32) < 16 ? inner : outer;
                image[x, y] = new Rgb24((byte)(c.R * 255), (byte)(c.G * 255), (byte)(c.B * 255));
            }
        }

        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream);
        return stream.ToArray();
    }
}
