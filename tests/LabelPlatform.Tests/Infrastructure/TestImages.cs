using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Tests.Infrastructure;

/// <summary>Good and hostile image files, made in code so tests state exactly what they feed.</summary>
public static class TestImages
{
    public static readonly string Caltech = Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "datasets", "caltech101", "101_ObjectCategories"));

    public static byte[] Jpeg(int width = 64, int height = 48, byte shade = 120)
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(shade, (byte)(255 - shade), 60));
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream);
        return stream.ToArray();
    }

    public static byte[] Png(int width = 40, int height = 30)
    {
        using var image = new Image<Rgba32>(width, height, new Rgba32(10, 200, 90, 255));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    public static byte[] Tiff()
    {
        using var image = new Image<Rgb24>(16, 16);
        using var stream = new MemoryStream();
        image.Save(stream, new TiffEncoder());
        return stream.ToArray();
    }

    /// <summary>A valid JPEG cut in half: no end-of-image marker.</summary>
    public static byte[] TruncatedJpeg()
    {
        var full = Jpeg(200, 150);
        return full[..(full.Length / 2)];
    }

    /// <summary>A PNG signature and an IHDR chunk declaring 100000x100000 (with a correct CRC), and nothing else.</summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // truecolour
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(stream, "IHDR"u8, ihdr);
        WriteChunk(stream, "IEND"u8, []);
        return stream.ToArray();
    }

    /// <summary>A GIF89a of <paramref name="frames"/> 1x1 frames, built by hand (a few bytes per frame).</summary>
    public static byte[] AnimatedGif(int frames)
    {
        using var stream = new MemoryStream();
        stream.Write("GIF89a"u8);
        stream.Write([1, 0, 1, 0, 0x80, 0, 0]); // 1x1 screen, global colour table of 2 entries
        stream.Write([0, 0, 0, 255, 255, 255]);
        for (var i = 0; i < frames; i++)
        {
            stream.Write([0x21, 0xF9, 4, 0, 1, 0, 0, 0]); // graphic control extension, 1/100 s delay
            stream.Write([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]); // image descriptor 1x1
            stream.Write([2, 2, 0x4C, 0x01, 0]); // LZW min code size 2, one sub-block, terminator
        }

        stream.WriteByte(0x3B);
        return stream.ToArray();
    }

    public static byte[] Text(string content = "this is not an image, whatever its name says") => System.Text.Encoding.UTF8.GetBytes(content);

    /// <summary>The first <paramref name="count"/> JPEGs of a Caltech class, read from ../shared.</summary>
    public static IEnumerable<string> CaltechFiles(string className, int count) =>
        Directory.EnumerateFiles(Path.Combine(Caltech, className)).Order(StringComparer.Ordinal).Take(count);

    public static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LabelPlatform.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests from inside the repository");
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var crcInput = new byte[type.Length + data.Length];
        type.CopyTo(crcInput);
        data.CopyTo(crcInput.AsSpan(type.Length));
        stream.Write(crcInput);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        stream.Write(crc);
    }

    // PNG's CRC-32 (ISO 3309 / ITU-T V.42, polynomial 0xEDB88320), bitwise: tiny inputs only.
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
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
        ("huge.png", () => TestImages.PngDeclaring(100_000, 100_000), "100000x100000"),
        ("frames.gif", () => TestImages.AnimatedGif(3000), "frames"),
        ("scan.tiff", TestImages.Tiff, "TIFF"),
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
