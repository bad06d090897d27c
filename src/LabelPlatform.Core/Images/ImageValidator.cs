using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LabelPlatform.Core.Images;

/// <summary>An image that passed every check, with what the store and the database need.</summary>
public sealed record ValidatedImage(string Sha256, string Format, string ContentType, int Width, int Height, long Bytes, byte[] Thumbnail);

/// <summary>The outcome of checking one file: either an image or the reason it was refused.</summary>
public sealed record ImageCheck(ValidatedImage? Image, string? RejectionReason, string? Sha256)
{
    public bool Accepted => Image is not null;

    public static ImageCheck Reject(string reason, string? sha256 = null) => new(null, reason, sha256);
}

/// <summary>
/// Checks a file with ImageSharp before anything is stored: content-identified format on an allow-list, header-only
/// Identify, caps on size, dimensions, pixel count, GIF frames and decode memory, then a full decode (which also makes
/// the thumbnail). ImageSharp 2.1 is the last free line, so it is configured with only the decoders we allow and a
/// hard allocation limit.
/// </summary>
public sealed class ImageValidator
{
    public static readonly IReadOnlyList<string> AllowedFormats = ["JPEG", "PNG", "GIF", "BMP", "WEBP"];

    private readonly ImageValidationOptions _options;
    private readonly Configuration _allowed;

    // Knows every format ImageSharp can read, only to name a refused one (e.g. "TIFF is not allowed").
    private readonly Configuration _recogniser = Configuration.Default;

    public ImageValidator(IOptions<ImageValidationOptions> options)
    {
        _options = options.Value;
        _allowed = new Configuration(
            new JpegConfigurationModule(),
            new PngConfigurationModule(),
            new GifConfigurationModule(),
            new BmpConfigurationModule(),
            new WebpConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                AllocationLimitMegabytes = _options.MaxDecodeMegabytes,
                MaximumPoolSizeMegabytes = 64,
            }),
            // Parallelism comes from the caller processing several files at once.
            MaxDegreeOfParallelism = 1,
        };
        _allowed.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
    }

    public ImageValidationOptions Options => _options;

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public ImageCheck Check(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ImageCheck.Reject("empty file (0 bytes)");
        }

        var sha = Sha256Hex(bytes);
        if (bytes.LongLength > _options.MaxFileBytes)
        {
            return ImageCheck.Reject($"file is {Size(bytes.LongLength)}, over the {Size(_options.MaxFileBytes)} cap", sha);
        }

        var format = Image.DetectFormat(_allowed, bytes);
        if (format is null)
        {
            var other = Image.DetectFormat(_recogniser, bytes);
            return ImageCheck.Reject(other is null
                ? $"not an image: content matches none of the allowed formats ({string.Join(", ", AllowedFormats)})"
                : $"format {other.Name.ToUpperInvariant()} is not allowed (allowed: {string.Join(", ", AllowedFormats)})", sha);
        }

        var name = format.Name.ToUpperInvariant();
        if (name == "JPEG" && !HasJpegEnd(bytes))
        {
            return ImageCheck.Reject("truncated JPEG: no end-of-image marker at the end of the file", sha);
        }

        IImageInfo? info;
        try
        {
            info = Image.Identify(_allowed, bytes, out _);
        }
        catch (Exception ex) when (ex is ImageFormatException or InvalidImageContentException or NotSupportedException or InvalidMemoryOperationException or ArgumentException or IndexOutOfRangeException)
        {
            return ImageCheck.Reject($"unreadable {name} header: {ex.Message}", sha);
        }

        if (info is null)
        {
            return ImageCheck.Reject($"unreadable {name} header", sha);
        }

        var capReason = CheckCaps(name, info.Width, info.Height);
        if (capReason is not null)
        {
            return ImageCheck.Reject(capReason, sha);
        }

        if (name == "GIF")
        {
            var frames = GifFrameCounter.Count(bytes, _options.MaxGifFrames);
            if (frames < 0)
            {
                return ImageCheck.Reject("malformed GIF block structure", sha);
            }

            if (frames > _options.MaxGifFrames)
            {
                return ImageCheck.Reject($"GIF has more than {_options.MaxGifFrames} frames (the cap)", sha);
            }
        }

        try
        {
            using var image = Image.Load<Rgba32>(_allowed, bytes);
            var (width, height) = (image.Width, image.Height); // before the thumbnail resizes it in place
            var thumbnail = MakeThumbnail(image);
            return new ImageCheck(new ValidatedImage(sha, name, format.DefaultMimeType, width, height, bytes.LongLength, thumbnail), null, sha);
        }
        catch (InvalidMemoryOperationException ex)
        {
            return ImageCheck.Reject($"decoding would exceed the {_options.MaxDecodeMegabytes} MB memory cap: {ex.Message}", sha);
        }
        catch (Exception ex) when (ex is ImageFormatException or InvalidImageContentException or NotSupportedException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or EndOfStreamException)
        {
            return ImageCheck.Reject($"broken {name} data: {ex.Message}", sha);
        }
    }

    private string? CheckCaps(string format, int width, int height)
    {
        if (width <= 0 || height <= 0)
        {
            return $"{format} declares an empty size {width}x{height}";
        }

        if (width > _options.MaxWidth || height > _options.MaxHeight)
        {
            return $"{format} declares {width}x{height}, over the {_options.MaxWidth}x{_options.MaxHeight} cap";
        }

        if ((long)width * height > _options.MaxPixels)
        {
            return $"{format} declares {(long)width * height:N0} pixels, over the {_options.MaxPixels:N0} pixel cap";
        }

        if (width < _options.MinSide || height < _options.MinSide)
        {
            return $"{format} is {width}x{height}, under the {_options.MinSide}px minimum side";
        }

        return null;
    }

    /// <summary>
    /// ImageSharp fills a truncated JPEG's missing rows with grey instead of failing, so look for the EOI marker
    /// (FF D9) at the end, allowing a little trailing padding that some encoders write.
    /// </summary>
    internal static bool HasJpegEnd(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.Length;
        while (end > 0 && (bytes[end - 1] == 0x00 || bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D) && bytes.Length - end < 1024)
        {
            end--;
        }

        var tail = bytes[Math.Max(0, end - 1024)..end];
        var marker = tail.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]);
        return marker >= 0;
    }

    private byte[] MakeThumbnail(Image<Rgba32> image)
    {
        var size = _options.ThumbnailSize;
        image.Mutate(x => x
            .Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Max, Sampler = KnownResamplers.Triangle })
            .BackgroundColor(Color.White));
        using var output = new MemoryStream();
        image.Save(output, new JpegEncoder { Quality = 80 });
        return output.ToArray();
    }

    private static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.#} MB" : $"{bytes / 1024.0:0.#} KB";
}
