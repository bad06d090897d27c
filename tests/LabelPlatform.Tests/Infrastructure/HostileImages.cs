using System.IO.Compression;
using System.Text;

namespace LabelPlatform.Tests.Infrastructure;

/// <summary>Hostile image files built in code: metadata decompression bombs and the like.</summary>
public static class HostileImages
{
    public const long BombInflatedBytes = 300L * 1024 * 1024;

    private static readonly Lazy<byte[]> Zeros = new(() => Deflate(BombInflatedBytes));

    /// <summary>
    /// A valid 64x64 PNG with one text chunk whose zlib stream inflates to 300 MB (a few hundred KB on disk).
    /// <paramref name="chunk"/> is "zTXt" or "iTXt" (compressed international text), or "iCCP" (a compressed ICC profile).
    /// </summary>
    public static byte[] PngMetadataBomb(string chunk)
    {
        var png = TestImages.Png(64, 64);
        using var data = new MemoryStream();
        switch (chunk)
        {
            case "zTXt":
                data.Write("Comment\0"u8);
                data.WriteByte(0); // compression method: zlib
                break;
            case "iTXt":
                data.Write("Comment\0"u8);
                data.WriteByte(1); // compressed
                data.WriteByte(0); // zlib
                data.Write("en\0"u8);
                data.Write("Comment\0"u8);
                break;
            case "iCCP":
                data.Write("profile\0"u8);
                data.WriteByte(0);
                break;
            default:
                throw new ArgumentException($"unknown chunk {chunk}", nameof(chunk));
        }

        data.Write(Zeros.Value);
        using var file = new MemoryStream();
        const int AfterHeader = 8 + 25; // signature, IHDR
        file.Write(png.AsSpan(0, AfterHeader));
        TestImages.WritePngChunk(file, chunk, data.ToArray());
        file.Write(png.AsSpan(AfterHeader));
        return file.ToArray();
    }

    /// <summary>A zlib stream of <paramref name="bytes"/> zeros.</summary>
    public static byte[] Deflate(long bytes)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var block = new byte[1 << 20];
            for (long written = 0; written < bytes; written += block.Length)
            {
                zlib.Write(block, 0, (int)Math.Min(block.Length, bytes - written));
            }
        }

        return output.ToArray();
    }

    public static string Describe(byte[] file) => $"{file.Length / 1024.0:0} KB file, {Encoding.ASCII.GetString(file, 37, 4)} chunk";
}
