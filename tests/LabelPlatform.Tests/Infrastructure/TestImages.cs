using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Tests.Infrastructure;

/// <summary>Test images: well-formed ones encoded by ImageSharp, hostile ones written byte by byte.</summary>
public static class TestImages
{
    /// <summary>Caltech 101 in the read-only shared folder beside the repository (../shared), never copied into it.</summary>
    public static readonly string CaltechRoot = SharedPaths.Caltech;

    /// <summary>
    /// A gradient (not a flat colour, so encoders produce real entropy-coded data) encoded with <paramref name="encoder"/>;
    /// a different <paramref name="shade"/> gives different bytes (and so a different SHA-256).
    /// </summary>
    public static byte[] Encode(IImageEncoder encoder, int width = 64, int height = 48, byte shade = 0)
    {
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), (byte)((x + y + shade) % 256));
            }
        }

        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    public static byte[] Jpeg(int width = 64, int height = 48, byte shade = 0) => Encode(new JpegEncoder { Quality = 90 }, width, height, shade);

    public static byte[] Png(int width = 64, int height = 48, byte shade = 0) => Encode(new PngEncoder(), width, height, shade);

    public static byte[] Gif(int width = 64, int height = 48, byte shade = 0) => Encode(new GifEncoder(), width, height, shade);

    public static byte[] Bmp(int width = 64, int height = 48, byte shade = 0) => Encode(new BmpEncoder(), width, height, shade);

    public static byte[] Webp(int width = 64, int height = 48, byte shade = 0) => Encode(new WebpEncoder(), width, height, shade);

    public static byte[] Tiff(int width = 64, int height = 48, byte shade = 0) => Encode(new TiffEncoder(), width, height, shade);

    /// <summary>The PNG signature and an IHDR chunk (8-bit RGB) declaring the given size; no pixel data follows.</summary>
    public static byte[] PngHeaderOnly(uint width, uint height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: truecolour
        // compression, filter and interlace methods stay 0
        WritePngChunk(stream, "IHDR", ihdr);
        WritePngChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    public static void WritePngChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        stream.Write(word);
        var typeAndData = new byte[4 + data.Length];
        Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData.AsSpan(4));
        stream.Write(typeAndData);
        // PNG chunk CRCs cover the type and the data, not the length.
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        stream.Write(word);
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as PNG uses it; System.IO.Hashing is not referenced.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>
    /// A GIF89a with a 2-colour global table and <paramref name="frames"/> 1x1 frames, each
    /// "2C 0000 0000 0100 0100 00" + LZW minimum code size 2 + the sub-block "02 44 01" + terminator 00.
    /// 44 01 is the classic 1-pixel LZW stream: 3-bit codes clear (4), index 0, end (5) packed LSB first.
    /// </summary>
    public static byte[] GifWithFrames(int frames, ushort screenWidth = 1, ushort screenHeight = 1, ushort frameWidth = 1, ushort frameHeight = 1, bool trailer = true)
    {
        using var stream = new MemoryStream();
        stream.Write("GIF89a"u8);
        WriteUInt16(stream, screenWidth);
        WriteUInt16(stream, screenHeight);
        stream.Write([0x80, 0x00, 0x00]); // global colour table of 2 entries, background 0, aspect 0
        stream.Write([0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF]);
        for (var i = 0; i < frames; i++)
        {
            stream.WriteByte(0x2C);
            WriteUInt16(stream, 0);
            WriteUInt16(stream, 0);
            WriteUInt16(stream, frameWidth);
            WriteUInt16(stream, frameHeight);
            stream.Write([0x00, 0x02, 0x02, 0x44, 0x01, 0x00]);
        }

        if (trailer)
        {
            stream.WriteByte(0x3B);
        }

        return stream.ToArray();
    }

    /// <summary>A few real photographs (JPEG, colour and greyscale, various sizes) from the shared Caltech-101 copy.</summary>
    public static IEnumerable<string> CaltechSamples() =>
    [
        Path.Combine(CaltechRoot, "accordion", "image_0001.jpg"),
        Path.Combine(CaltechRoot, "airplanes", "image_0001.jpg"),
        Path.Combine(CaltechRoot, "Faces", "image_0001.jpg"),
        Path.Combine(CaltechRoot, "Leopards", "image_0010.jpg"),
        Path.Combine(CaltechRoot, "BACKGROUND_Google", "image_0001.jpg"),
    ];

    /// <summary>A valid JPEG cut in half: no end-of-image marker.</summary>
    public static byte[] TruncatedJpeg()
    {
        var full = Jpeg(200, 150);
        return full[..(full.Length / 2)];
    }

    public static byte[] Text(string content = "this is not an image, whatever its name says") => Encoding.UTF8.GetBytes(content);

    /// <summary>The first <paramref name="count"/> files of a Caltech class.</summary>
    public static IEnumerable<string> CaltechFiles(string className, int count) =>
        Directory.EnumerateFiles(Path.Combine(CaltechRoot, className)).Order(StringComparer.Ordinal).Take(count);

    private static void WriteUInt16(Stream stream, ushort value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        stream.Write(bytes);
    }
}

/// <summary>A fresh folder under the temp directory, deleted with everything in it.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }
}

/// <summary>A temp folder in folder-per-class layout, deleted with the test.</summary>
public sealed class ImportFolder : IDisposable
{
    public ImportFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "labelplatform-import", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public ImportFolder Add(string relativePath, byte[] bytes)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return this;
    }

    public ImportFolder AddCaltech(string className, int count)
    {
        foreach (var file in TestImages.CaltechFiles(className, count))
        {
            Add(Path.Combine(className, Path.GetFileName(file)), File.ReadAllBytes(file));
        }

        return this;
    }

    /// <summary>Every hostile file the foundation issue names, spread over a class folder, with the reason each must give.</summary>
    public static readonly (string Name, Func<byte[]> Bytes, string ReasonContains)[] Hostile =
    [
        ("truncated.jpg", TestImages.TruncatedJpeg, "truncated"),
        ("empty.jpg", () => [], "empty"),
        ("notes.jpg", () => TestImages.Text(), "not an image"),
        ("huge.png", () => TestImages.PngHeaderOnly(100_000, 100_000), "100000x100000"),
        ("frames.gif", () => TestImages.GifWithFrames(3000), "frames"),
        ("scan.tiff", () => TestImages.Tiff(), "TIFF"),
    ];

    public ImportFolder AddHostile(string className)
    {
        foreach (var (name, bytes, _) in Hostile)
        {
            Add(Path.Combine(className, name), bytes());
        }

        return this;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
