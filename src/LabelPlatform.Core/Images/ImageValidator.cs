using System.Buffers.Binary;
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
/// Identify, caps on size, dimensions, pixel count, GIF frames and decode memory, a check that the file is not cut
/// short, then a full decode (which also makes the thumbnail). ImageSharp 2.1 is the last free line, so it is
/// configured with only the decoders we allow and a hard allocation limit.
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
        // PNG text chunks (zTXt, iTXt) are zlib streams ImageSharp inflates whole, outside the allocator's cap: a 300 KB
        // file became 300 MB of metadata and a minute of CPU. Nothing here reads PNG text, so it is never decoded.
        _allowed.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
    }

    public ImageValidationOptions Options => _options;

    /// <summary>The hardened decoder configuration (allow-listed formats, GIF first frame, allocation cap), for other readers of stored images.</summary>
    public Configuration DecoderConfiguration => _allowed;

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <param name="bytes">The file.</param>
    /// <param name="sha256OfBytes">The caller's own <see cref="Sha256Hex"/> of these bytes (the crawler hashes first to
    /// skip exact duplicates without decoding), so they are not hashed twice.</param>
    public ImageCheck Check(byte[] bytes, string? sha256OfBytes = null)
    {
        if (bytes.Length == 0)
        {
            return ImageCheck.Reject("empty file (0 bytes)");
        }

        var sha = sha256OfBytes ?? Sha256Hex(bytes);
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
        // A JPEG cut short often breaks Identify too; name the real cause before the header is read.
        if (name == "JPEG" && Truncation(name, bytes) is { } cut)
        {
            return ImageCheck.Reject(cut, sha);
        }

        IImageInfo? info;
        try
        {
            info = Image.Identify(_allowed, bytes, out _);
        }
        catch (Exception ex)
        {
            // Hostile headers make ImageSharp 2.1 throw almost anything (NullReference, DivideByZero, InvalidOperation...);
            // the importer checks files in parallel and one throw would stop the whole import, so every failure is a rejection.
            return ImageCheck.Reject($"unreadable {name} header: {Describe(ex)}", sha);
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

        var truncated = Truncation(name, bytes);
        if (truncated is not null)
        {
            return ImageCheck.Reject(truncated, sha);
        }

        if (StructureProblem(name, bytes) is { } structure)
        {
            return ImageCheck.Reject(structure, sha);
        }

        if (name == "GIF")
        {
            var frames = GifFrameCounter.Count(bytes, _options.MaxGifFrames);
            if (frames < 0)
            {
                return ImageCheck.Reject("malformed or truncated GIF: its block structure breaks off or has an unknown block", sha);
            }

            if (frames > _options.MaxGifFrames)
            {
                return ImageCheck.Reject($"GIF has more than {_options.MaxGifFrames} frames (the cap)", sha);
            }
        }

        try
        {
            using var image = Image.Load<Rgba32>(_allowed, bytes);
            // Upright as a browser shows it (a phone photo says "rotate 90°" in EXIF): thumbnail, size and embeddings agree.
            image.Mutate(x => x.AutoOrient());
            // Read the size before MakeThumbnail resizes the image in place.
            var (width, height) = (image.Width, image.Height);
            var thumbnail = MakeThumbnail(image);
            return new ImageCheck(new ValidatedImage(sha, name, format.DefaultMimeType, width, height, bytes.LongLength, thumbnail), null, sha);
        }
        catch (Exception ex) when (ex is InvalidMemoryOperationException || ex.InnerException is InvalidMemoryOperationException)
        {
            // ImageSharp wraps the allocator's refusal in an InvalidImageContentException ("possibly degenerate dimensions").
            return ImageCheck.Reject($"decoding would exceed the {_options.MaxDecodeMegabytes} MB memory cap", sha);
        }
        catch (Exception ex)
        {
            // As for Identify: whatever the decoder throws on bad data rejects this file only.
            return ImageCheck.Reject($"broken {name} data: {Describe(ex)}", sha);
        }
    }

    /// <summary>The decoder's message, or the exception's type where the message says nothing (NullReferenceException and the like).</summary>
    private static string Describe(Exception ex) => ex is ImageFormatException or NotSupportedException or ArgumentException or InvalidOperationException or EndOfStreamException
        ? ex.Message
        : $"the decoder failed ({ex.GetType().Name}: {ex.Message})";

    /// <summary>
    /// Why a file of an allowed format is cut short, or null. ImageSharp decodes truncated JPEG, PNG, BMP and WebP files
    /// without an error (missing rows come out grey or black), so the end of each is checked from its structure.
    /// </summary>
    internal static string? Truncation(string format, ReadOnlySpan<byte> bytes) => format switch
    {
        "JPEG" => JpegStructure.Problem(bytes),
        "PNG" when !HasPngEnd(bytes) => "truncated PNG: the file ends before its IEND chunk",
        "BMP" when BmpMissingBytes(bytes) is > 0 and var missing => $"truncated BMP: the pixel data is {missing:N0} bytes short",
        "WEBP" when WebpMissingBytes(bytes) is > 0 and var missing => $"truncated WEBP: the file is {missing:N0} bytes shorter than its RIFF header declares",
        _ => null,
    };

    /// <summary>Checks that need the declared size to be within the caps first (the PNG check inflates as much as it needs).</summary>
    private static string? StructureProblem(string format, ReadOnlySpan<byte> bytes) => format switch
    {
        "PNG" => ImageStructure.PngDataProblem(bytes),
        "WEBP" => ImageStructure.WebpCanvasProblem(bytes),
        "GIF" => ImageStructure.GifFrameProblem(bytes),
        _ => null,
    };

    /// <summary>Walks the chunks after the signature; true when an IEND chunk is reached with every chunk inside the file.</summary>
    internal static bool HasPngEnd(ReadOnlySpan<byte> bytes)
    {
        long pos = 8;
        while (pos + 12 <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(bytes[(int)pos..]);
            var isEnd = bytes.Slice((int)pos + 4, 4).SequenceEqual("IEND"u8);
            pos += 12L + length; // length, type, data, CRC
            if (isEnd)
            {
                return pos <= bytes.Length;
            }
        }

        return false;
    }

    /// <summary>
    /// For uncompressed BMPs (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS) the pixel array's size follows from the header:
    /// offset + row stride (padded to 4 bytes) x rows. Returns how many bytes are missing; 0 when complete or not computable
    /// (RLE and embedded JPEG/PNG compressions have no fixed size).
    /// </summary>
    internal static long BmpMissingBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 26)
        {
            return 0; // too short to say; the decoder rejects it
        }

        long offset = BinaryPrimitives.ReadUInt32LittleEndian(bytes[10..]);
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[14..]);
        long width, height;
        int bitsPerPixel;
        if (headerSize == 12)
        {
            // BITMAPCOREHEADER: 16-bit sizes, never compressed.
            width = BinaryPrimitives.ReadUInt16LittleEndian(bytes[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(bytes[20..]);
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bytes[24..]);
        }
        else if (headerSize is 40 or 52 or 56 or 108 or 124 && bytes.Length >= 34)
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(bytes[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bytes[22..])); // negative: rows stored top-down
            bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]);
            var compression = BinaryPrimitives.ReadUInt32LittleEndian(bytes[30..]);
            if (compression is not (0 or 3 or 6))
            {
                return 0;
            }
        }
        else
        {
            return 0;
        }

        var stride = (width * bitsPerPixel + 31) / 32 * 4;
        return Math.Max(0, offset + (stride * height) - bytes.Length);
    }

    /// <summary>The RIFF header's size field counts every byte after it, so a shorter file lost its end.</summary>
    internal static long WebpMissingBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length < 12 ? 0 : Math.Max(0, 8L + BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]) - bytes.Length);

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

    // Exact below 1 KB, so a small cap never reads as "0.1 KB".
    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes:N0} bytes",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KB",
        _ => $"{bytes / (1024.0 * 1024):0.#} MB",
    };
}
