using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Images;

/// <summary>Caps every ingested file must respect. Bound from "Images"; all caps are checked before a full decode.</summary>
public sealed class ImageValidationOptions
{
    public const string Section = "Images";

    [Range(typeof(long), "1", "9223372036854775807")]

    public long MaxFileBytes { get; set; } = 50L * 1024 * 1024;
    [Range(1, 65_535)]
    public int MaxWidth { get; set; } = 16_384;
    [Range(1, 65_535)]
    public int MaxHeight { get; set; } = 16_384;

    /// <summary>Width x height cap; with RGBA that bounds a decoded frame to MaxPixels x 4 bytes.</summary>
    [Range(typeof(long), "1", "9223372036854775807")]
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>Hard cap for ImageSharp's allocator: one image's decode can never take more than this.</summary>
    [Range(16, 65_536)]
    public int MaxDecodeMegabytes { get; set; } = 400;

    /// <summary>Animated GIFs are kept as their first frame; files with more frames than this are refused (decoder bombs).</summary>
    [Range(1, 100_000)]
    public int MaxGifFrames { get; set; } = 1000;

    /// <summary>Images smaller than this on either side are refused (icons, spacers). 1 accepts everything.</summary>
    [Range(1, 4096)]
    public int MinSide { get; set; } = 1;

    [Range(16, 4096)]

    public int ThumbnailSize { get; set; } = 256;
}
