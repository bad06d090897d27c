using System.Buffers.Binary;
using System.IO.Compression;

namespace LabelPlatform.Core.Images;

/// <summary>
/// Structure checks for PNG, WebP and GIF that ImageSharp does not make: a PNG whose image data inflates to fewer bytes
/// than its size needs (ImageSharp pads the missing rows), a WebP whose canvas and image sizes differ, a GIF whose first
/// frame lies outside its screen (browsers refuse both). Each returns why the file is refused, or null.
/// </summary>
public static class ImageStructure
{
    private static readonly (int X, int Y, int StepX, int StepY)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    /// <summary>Inflates the IDAT stream only as far as the image needs (plus one byte), so a data bomb costs nothing.</summary>
    public static string? PngDataProblem(ReadOnlySpan<byte> png)
    {
        if (png.Length < 33 || !png.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return "broken PNG: no IHDR chunk first";
        }

        var width = BinaryPrimitives.ReadUInt32BigEndian(png[16..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(png[20..]);
        var bitDepth = png[24];
        var channels = png[25] switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        if (channels == 0 || bitDepth is not (1 or 2 or 4 or 8 or 16))
        {
            return $"broken PNG: colour type {png[25]} with bit depth {bitDepth} does not exist";
        }

        var bitsPerPixel = channels * bitDepth;
        long needed = png[28] == 0
            ? height * (1 + RowBytes(width, bitsPerPixel))
            : Adam7.Sum(p =>
            {
                var w = width > p.X ? (width - p.X + p.StepX - 1) / p.StepX : 0;
                var h = height > p.Y ? (height - p.Y + p.StepY - 1) / p.StepY : 0;
                return w == 0 || h == 0 ? 0 : h * (1 + RowBytes(w, bitsPerPixel));
            });

        using var data = new MemoryStream();
        for (long pos = 8; pos + 12 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[(int)pos..]);
            if (pos + 12 + length > png.Length)
            {
                break; // the truncation check names this
            }

            if (png.Slice((int)pos + 4, 4).SequenceEqual("IDAT"u8))
            {
                data.Write(png.Slice((int)pos + 8, (int)length));
            }

            pos += 12L + length;
        }

        data.Position = 0;
        long inflated = 0;
        try
        {
            using var zlib = new ZLibStream(data, CompressionMode.Decompress);
            var buffer = new byte[64 * 1024];
            while (inflated <= needed)
            {
                var read = zlib.Read(buffer, 0, (int)Math.Min(buffer.Length, needed + 1 - inflated));
                if (read == 0)
                {
                    break;
                }

                inflated += read;
            }
        }
        catch (InvalidDataException ex)
        {
            return $"broken PNG image data: {ex.Message}";
        }

        return inflated < needed ? $"truncated PNG: its image data inflates to {inflated:N0} of the {needed:N0} bytes {width}x{height} needs" : null;
    }

    private static long RowBytes(long width, int bitsPerPixel) => ((width * bitsPerPixel) + 7) / 8;

    /// <summary>An extended (VP8X) still WebP must have a canvas the size of its image; browsers refuse one that does not.</summary>
    public static string? WebpCanvasProblem(ReadOnlySpan<byte> webp)
    {
        if (webp.Length < 30 || !webp.Slice(12, 4).SequenceEqual("VP8X"u8))
        {
            return null; // simple formats have no separate canvas
        }

        var flags = webp[20];
        if ((flags & 0x02) != 0)
        {
            return null; // animated: frames are placed on the canvas
        }

        var canvasWidth = 1 + (webp[24] | (webp[25] << 8) | (webp[26] << 16));
        var canvasHeight = 1 + (webp[27] | (webp[28] << 8) | (webp[29] << 16));
        for (var pos = 12; pos + 8 <= webp.Length;)
        {
            var type = webp.Slice(pos, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(webp[(pos + 4)..]);
            var body = pos + 8;
            (int W, int H)? frame = null;
            if (type.SequenceEqual("VP8 "u8) && body + 10 <= webp.Length)
            {
                frame = (BinaryPrimitives.ReadUInt16LittleEndian(webp[(body + 6)..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(webp[(body + 8)..]) & 0x3FFF);
            }
            else if (type.SequenceEqual("VP8L"u8) && body + 5 <= webp.Length)
            {
                var bits = BinaryPrimitives.ReadUInt32LittleEndian(webp[(body + 1)..]);
                frame = ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
            }

            if (frame is { } f)
            {
                return f.W == canvasWidth && f.H == canvasHeight
                    ? null
                    : $"WEBP canvas {canvasWidth}x{canvasHeight} does not match its image {f.W}x{f.H} (browsers do not show it)";
            }

            pos = body + (int)Math.Min(size + (size & 1), int.MaxValue - body);
        }

        return null;
    }

    /// <summary>The first frame (the one kept) must lie inside the logical screen: browsers show nothing otherwise.</summary>
    public static string? GifFrameProblem(ReadOnlySpan<byte> gif)
    {
        if (gif.Length < 13)
        {
            return null;
        }

        int screenWidth = BinaryPrimitives.ReadUInt16LittleEndian(gif[6..]), screenHeight = BinaryPrimitives.ReadUInt16LittleEndian(gif[8..]);
        var pos = 13 + ((gif[10] & 0x80) != 0 ? 3 * (1 << ((gif[10] & 0x07) + 1)) : 0);
        while (pos < gif.Length && gif[pos] == 0x21)
        {
            pos += 2;
            while (pos < gif.Length && gif[pos] != 0)
            {
                pos += 1 + gif[pos];
            }

            pos++;
        }

        if (pos + 9 > gif.Length || gif[pos] != 0x2C)
        {
            return null; // the frame counter reports a broken structure
        }

        int left = BinaryPrimitives.ReadUInt16LittleEndian(gif[(pos + 1)..]), top = BinaryPrimitives.ReadUInt16LittleEndian(gif[(pos + 3)..]);
        int width = BinaryPrimitives.ReadUInt16LittleEndian(gif[(pos + 5)..]), height = BinaryPrimitives.ReadUInt16LittleEndian(gif[(pos + 7)..]);
        return left + width <= screenWidth && top + height <= screenHeight
            ? null
            : $"GIF frame {width}x{height} at {left},{top} lies outside its {screenWidth}x{screenHeight} screen (browsers do not show it)";
    }
}
