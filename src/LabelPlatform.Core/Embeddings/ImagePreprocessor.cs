using System.Buffers;
using LabelPlatform.Core.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LabelPlatform.Core.Embeddings;

/// <summary>
/// Decodes an image with the hardened decoder and writes it into a model's input layout. Every model input (embed
/// jobs, search uploads, the registry's check images) comes through <see cref="Fill(byte[], Preprocessing, Span{float})"/>,
/// so transparency is composited onto the model's background the same way everywhere.
/// </summary>
public sealed class ImagePreprocessor(ImageValidator validator)
{
    public static int InputLength(Preprocessing p) => 3 * p.InputWidth * p.InputHeight;

    /// <summary>Decodes <paramref name="bytes"/> and fills <paramref name="destination"/> (one image, <see cref="InputLength"/> floats).</summary>
    public void Fill(byte[] bytes, Preprocessing p, Span<float> destination)
    {
        if (destination.Length != InputLength(p))
        {
            throw new ArgumentException($"destination holds {destination.Length} floats; the model needs {InputLength(p)}", nameof(destination));
        }

        using var image = ImageFlattening.LoadRgb(validator.DecoderConfiguration, bytes, p.BackgroundColor());
        Fill(image, p, destination);
    }

    public static void Fill(Image<Rgb24> image, Preprocessing p, Span<float> destination)
    {
        int w = p.InputWidth, h = p.InputHeight;
        if (p.Resize == ResizeMode.Stretch)
        {
            // Bilinear, as Keras and torchvision resize.
            image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(w, h), Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch, Sampler = KnownResamplers.Triangle }));
        }
        else
        {
            var shorter = p.ResizeShorterSide > 0 ? p.ResizeShorterSide : (int)Math.Round(Math.Max(w, h) / 0.875);
            var scale = (double)shorter / Math.Min(image.Width, image.Height);
            var resized = new Size(Math.Max(w, (int)Math.Round(image.Width * scale)), Math.Max(h, (int)Math.Round(image.Height * scale)));
            image.Mutate(x => x
                .Resize(new ResizeOptions { Size = resized, Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch, Sampler = KnownResamplers.Triangle })
                .Crop(new Rectangle((resized.Width - w) / 2, (resized.Height - h) / 2, w, h)));
        }

        // Per-channel affine map: value = pixel * scale / std - mean / std.
        Span<float> gain = stackalloc float[3];
        Span<float> offset = stackalloc float[3];
        for (var c = 0; c < 3; c++)
        {
            gain[c] = p.Scale / p.Std[c];
            offset[c] = -p.Mean[c] / p.Std[c];
        }

        var bgr = p.Channels == ChannelOrder.Bgr;
        var plane = w * h;
        var nchw = p.Layout == TensorLayout.Nchw;
        var pixels = ArrayPool<Rgb24>.Shared.Rent(plane);
        try
        {
            image.CopyPixelDataTo(pixels.AsSpan(0, plane));
            for (var index = 0; index < plane; index++)
            {
                var px = pixels[index];
                float first = px.R, second = px.G, third = px.B;
                if (bgr)
                {
                    (first, third) = (third, first);
                }

                if (nchw)
                {
                    destination[index] = (first * gain[0]) + offset[0];
                    destination[plane + index] = (second * gain[1]) + offset[1];
                    destination[(2 * plane) + index] = (third * gain[2]) + offset[2];
                }
                else
                {
                    destination[(3 * index) + 0] = (first * gain[0]) + offset[0];
                    destination[(3 * index) + 1] = (second * gain[1]) + offset[1];
                    destination[(3 * index) + 2] = (third * gain[2]) + offset[2];
                }
            }
        }
        finally
        {
            ArrayPool<Rgb24>.Shared.Return(pixels);
        }
    }
}
