using LabelPlatform.Core.Data;
using LabelPlatform.Core.Images;
using Microsoft.EntityFrameworkCore;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Core.Embeddings;

/// <summary>
/// Images a model is tried on before it is registered, preprocessed through the same path as every model input: a
/// generated scene (with a transparent border, so the check also covers compositing) and, when the platform already
/// holds images, a few real ones from the store, which exercise the value ranges a synthetic picture cannot.
/// </summary>
public sealed class ModelCheckImages(IDbContextFactory<PlatformDbContext> contexts, ImageStore store, ImagePreprocessor preprocessor)
{
    /// <summary>Real images taken from the store, at most.</summary>
    public const int RealImages = 4;

    /// <summary>The generated scene as PNG bytes: sky, ground, a sun, stripes and a transparent frame over black.</summary>
    public static byte[] SyntheticPng()
    {
        using var image = new Image<Rgba32>(160, 120);
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                var frame = x < 8 || y < 8 || x >= image.Width - 8 || y >= image.Height - 8;
                var sun = ((x - 110) * (x - 110)) + ((y - 35) * (y - 35)) < 300;
                var stripe = y > 80 && (x / 10) % 2 == 0;
                image[x, y] = frame ? new Rgba32(0, 0, 0, 0)
                    : sun ? new Rgba32(250, 210, 40)
                    : y < 70 ? new Rgba32((byte)(80 + y), (byte)(140 + y), 230)
                    : stripe ? new Rgba32(90, 60, 30) : new Rgba32((byte)(40 + (x % 7 * 9)), (byte)(120 + (y % 5 * 11)), 50);
            }
        }

        using var output = new MemoryStream();
        image.Save(output, new PngEncoder());
        return output.ToArray();
    }

    public float[] Synthetic(Preprocessing p)
    {
        var input = new float[ImagePreprocessor.InputLength(p)];
        preprocessor.Fill(SyntheticPng(), p, input);
        return input;
    }

    /// <summary>The synthetic image, then up to <see cref="RealImages"/> stored images (the oldest, so the choice is repeatable).</summary>
    public async Task<List<float[]>> AllAsync(Preprocessing p, CancellationToken cancellationToken)
    {
        var images = new List<float[]> { Synthetic(p) };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.Images.AsNoTracking().OrderBy(i => i.Id).Take(RealImages * 2).Select(i => new { i.Sha256, i.Format }).ToListAsync(cancellationToken);
        foreach (var image in stored)
        {
            if (images.Count > RealImages)
            {
                break;
            }

            try
            {
                var input = new float[ImagePreprocessor.InputLength(p)];
                preprocessor.Fill(await store.ReadOriginalAsync(image.Sha256, image.Format, cancellationToken), p, input);
                images.Add(input);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or ImageFormatException or InvalidImageContentException)
            {
                // A file missing from the store (or a row naming no valid file) only means one check image fewer.
            }
        }

        return images;
    }
}
