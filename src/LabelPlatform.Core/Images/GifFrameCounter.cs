namespace LabelPlatform.Core.Images;

/// <summary>
/// Counts the frames of a GIF by walking its block structure without decoding pixels, so a file with thousands of
/// frames can be refused before ImageSharp touches it. Returns -1 when the structure is malformed.
/// </summary>
internal static class GifFrameCounter
{
    public static int Count(ReadOnlySpan<byte> gif, int stopAfter = int.MaxValue)
    {
        if (gif.Length < 13)
        {
            return -1;
        }

        var pos = 13; // header (6) + logical screen descriptor (7)
        var packed = gif[10];
        if ((packed & 0x80) != 0)
        {
            pos += 3 * (1 << ((packed & 0x07) + 1));
        }

        var frames = 0;
        while (pos < gif.Length)
        {
            switch (gif[pos])
            {
                case 0x2C: // image descriptor
                    if (pos + 10 > gif.Length)
                    {
                        return -1;
                    }

                    frames++;
                    if (frames > stopAfter)
                    {
                        return frames;
                    }

                    var local = gif[pos + 9];
                    pos += 10;
                    if ((local & 0x80) != 0)
                    {
                        pos += 3 * (1 << ((local & 0x07) + 1));
                    }

                    pos++; // LZW minimum code size
                    if (!SkipSubBlocks(gif, ref pos))
                    {
                        return -1;
                    }

                    break;
                case 0x21: // extension: introducer, label, sub-blocks
                    pos += 2;
                    if (!SkipSubBlocks(gif, ref pos))
                    {
                        return -1;
                    }

                    break;
                case 0x3B: // trailer
                    return frames;
                default:
                    return -1;
            }
        }

        // No trailer: a truncated file; what was counted still bounds the work.
        return frames;
    }

    private static bool SkipSubBlocks(ReadOnlySpan<byte> data, ref int pos)
    {
        while (pos < data.Length)
        {
            var size = data[pos];
            pos += 1 + size;
            if (size == 0)
            {
                return pos <= data.Length;
            }
        }

        return false;
    }
}
