using System.Numerics.Tensors;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Images;
using LabelPlatform.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Tests.Embeddings;

/// <summary>
/// Model inputs composite transparency onto the model's background (white by default), never the colour stored
/// under alpha; every other pixel format still decodes to the same colours.
/// </summary>
public class TransparencyTests
{
    private static readonly ImagePreprocessor Preprocessor = new(new ImageValidator(Microsoft.Extensions.Options.Options.Create(new ImageValidationOptions())));

    /// <summary>Unit scale, no mean or std: the tensor holds the pixel values themselves, channel planes R, G, B.</summary>
    private static readonly Preprocessing Raw = Preprocessing.ImageNet with { InputWidth = 8, InputHeight = 8, Scale = 1f, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };

    private static byte[] Uniform<TPixel>(TPixel pixel, IImageEncoder encoder, int size = 8)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var image = new Image<TPixel>(size, size, pixel);
        using var output = new MemoryStream();
        image.Save(output, encoder);
        return output.ToArray();
    }

    /// <summary>The (R, G, B) the model would see at the centre of the image.</summary>
    private static (float R, float G, float B) Centre(byte[] bytes, Preprocessing? p = null)
    {
        p ??= Raw;
        var input = new float[ImagePreprocessor.InputLength(p)];
        Preprocessor.Fill(bytes, p, input);
        var plane = p.InputWidth * p.InputHeight;
        var at = ((p.InputHeight / 2) * p.InputWidth) + (p.InputWidth / 2);
        return (input[at], input[plane + at], input[(2 * plane) + at]);
    }

    private static void Near((float R, float G, float B) actual, (float R, float G, float B) expected, float tolerance)
    {
        Assert.True(Math.Abs(actual.R - expected.R) <= tolerance && Math.Abs(actual.G - expected.G) <= tolerance && Math.Abs(actual.B - expected.B) <= tolerance,
            $"expected {expected}, got {actual}");
    }

    [Fact]
    public void Transparent_pixels_are_composited_onto_the_background_not_read_as_what_lies_under_them()
    {
        var clear = Uniform(new Rgba32(0, 0, 0, 0), new PngEncoder());
        var halfRed = Uniform(new Rgba32(255, 0, 0, 128), new PngEncoder());

        Near(Centre(clear), (255, 255, 255), 0.5f);
        // alpha 128/255 of red over white: 255, 255 x 127/255, 255 x 127/255.
        Near(Centre(halfRed), (255, 127, 127), 1.5f);
        Near(Centre(clear, Raw with { Background = "#204060" }), (0x20, 0x40, 0x60), 0.5f);
        Near(Centre(Uniform(new Rgba32(10, 200, 30, 255), new PngEncoder())), (10, 200, 30), 0.5f);
    }

    public static TheoryData<string> Formats() => ["grey png", "grey+alpha png", "palette png with transparency", "16-bit rgba png", "cmyk jpeg", "grey jpeg", "gif with transparency"];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Grey_palette_16_bit_and_CMYK_images_keep_their_colours(string format)
    {
        var (bytes, expected, tolerance) = format switch
        {
            "grey png" => (Uniform(new L8(90), new PngEncoder { ColorType = PngColorType.Grayscale }), (90f, 90f, 90f), 0.5f),
            "grey+alpha png" => (Uniform(new La16(90, 0), new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha }), (255f, 255f, 255f), 0.5f),
            "palette png with transparency" => (Uniform(new Rgba32(0, 0, 0, 0), new PngEncoder { ColorType = PngColorType.Palette }), (255f, 255f, 255f), 0.5f),
            "16-bit rgba png" => (Uniform(new Rgba64(65535, 0, 32896, 65535), new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.RgbWithAlpha }), (255f, 0f, 128f), 1f),
            "cmyk jpeg" => (Uniform(new Rgb24(200, 40, 60), new JpegEncoder { ColorType = JpegColorType.Cmyk, Quality = 100 }, 16), (200f, 40f, 60f), 6f),
            "grey jpeg" => (Uniform(new L8(150), new JpegEncoder { ColorType = JpegColorType.Luminance, Quality = 100 }, 16), (150f, 150f, 150f), 2f),
            _ => (Uniform(new Rgba32(0, 0, 0, 0), new GifEncoder()), (255f, 255f, 255f), 0.5f),
        };

        Near(Centre(bytes), expected, tolerance);
    }

    [Fact]
    public async Task A_transparent_PNG_and_the_same_image_flattened_onto_white_embed_alike()
    {
        // A real photo whose left half is cut out (alpha 0 over black, as clip art keeps it) and whose right edge fades.
        using var photo = Image.Load<Rgba32>(TestImages.CaltechFiles("accordion", 1).Single());
        using var transparent = photo.Clone();
        using var flattened = photo.Clone();
        using var blackUnder = photo.Clone();
        for (var y = 0; y < photo.Height; y++)
        {
            for (var x = 0; x < photo.Width; x++)
            {
                var p = photo[x, y];
                byte alpha = x < photo.Width / 2 ? (byte)0 : x > photo.Width * 7 / 8 ? (byte)128 : (byte)255;
                transparent[x, y] = alpha == 0 ? new Rgba32(0, 0, 0, 0) : new Rgba32(p.R, p.G, p.B, alpha);
                byte Over(byte c) => (byte)Math.Round(((c * alpha) + (255 * (255 - alpha))) / 255.0);
                flattened[x, y] = new Rgba32(Over(p.R), Over(p.G), Over(p.B), 255);
                blackUnder[x, y] = alpha == 0 ? new Rgba32(0, 0, 0, 255) : new Rgba32(p.R, p.G, p.B, 255);
            }
        }

        await using var platform = await CorePlatform.StartAsync();
        var model = (await platform.Get<ModelRegistry>().ResolveAsync(ModelRegistry.MobileNetV2))!;
        var embedder = platform.Get<OnnxEmbedder>();
        var preprocessor = platform.Get<ImagePreprocessor>();
        async Task<float[]> Embed(Image<Rgba32> image)
        {
            using var output = new MemoryStream();
            await image.SaveAsPngAsync(output);
            var input = new float[ImagePreprocessor.InputLength(model.Preprocessing)];
            preprocessor.Fill(output.ToArray(), model.Preprocessing, input);
            return (await embedder.EmbedAsync(model, input, 1, CancellationToken.None))[0]!;
        }

        var a = await Embed(transparent);
        var b = await Embed(flattened);
        var c = await Embed(blackUnder);

        Assert.True(TensorPrimitives.Dot(a, b) >= 0.9999, $"cosine {TensorPrimitives.Dot(a, b)}");
        // What the model saw before compositing (the black under the alpha) is a different picture to it.
        Assert.True(TensorPrimitives.Dot(b, c) < 0.99, $"cosine to the black-under-alpha picture {TensorPrimitives.Dot(b, c)}");
    }
}
