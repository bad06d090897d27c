using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LabelPlatform.Core.Images;

/// <summary>
/// Turns a decoded image of any pixel type into opaque RGB. Transparent pixels are composited onto a background, never
/// read as the colour stored under them: clip art keeps black (or anything) under alpha 0, and a decoder asked for
/// Rgb24 drops the alpha and shows it. Thumbnails and model inputs go through here, so people and models see alike.
/// </summary>
public static class ImageFlattening
{
    /// <summary>Decodes <paramref name="bytes"/> in its own pixel type and returns it as RGB on <paramref name="background"/>.</summary>
    public static Image<Rgb24> LoadRgb(Configuration configuration, byte[] bytes, Color background)
    {
        var decoded = Image.Load(configuration, bytes);
        // Upright, as the validator's thumbnail and stored size are (EXIF orientation applied).
        decoded.Mutate(x => x.AutoOrient());
        try
        {
            return ToRgb(decoded, background);
        }
        finally
        {
            if (decoded is not Image<Rgb24>)
            {
                decoded.Dispose();
            }
        }
    }

    /// <summary>The image itself when it is RGB already (JPEG); otherwise an RGB copy, alpha composited onto the background.</summary>
    public static Image<Rgb24> ToRgb(Image image, Color background)
    {
        if (image is Image<Rgb24> rgb)
        {
            return rgb;
        }

        if (!HasAlpha(image.PixelType))
        {
            return image.CloneAs<Rgb24>();
        }

        using var rgba = image.CloneAs<Rgba32>();
        rgba.Mutate(x => x.BackgroundColor(background));
        return rgba.CloneAs<Rgb24>();
    }

    /// <summary>Pixel types with alpha, and those whose alpha is not stated, are composited.</summary>
    public static bool HasAlpha(PixelTypeInfo pixelType) => pixelType.AlphaRepresentation is not PixelAlphaRepresentation.None;

    /// <summary>Parses "#RRGGBB" (the form preprocessing settings store), or null when it is not one.</summary>
    public static Color? ParseHex(string? hex) =>
        hex is { Length: 7 } && hex[0] == '#' && hex.Skip(1).All(Uri.IsHexDigit) && Color.TryParseHex(hex, out var color) ? color : null;
}
