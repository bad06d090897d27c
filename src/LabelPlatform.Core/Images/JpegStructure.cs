using System.Buffers.Binary;

namespace LabelPlatform.Core.Images;

/// <summary>
/// Walks a JPEG's marker segments and, for baseline scans, its Huffman-coded data, to tell a complete file from one that
/// only looks complete. ImageSharp fills missing rows with grey instead of failing, and a search for the end-of-image
/// marker near the end is fooled by the EXIF thumbnail's own marker or by one appended to a cut file. Also refuses the
/// coding processes browsers do not decode (12-bit, lossless, hierarchical and arithmetic-coded JPEG).
/// </summary>
public static class JpegStructure
{
    /// <summary>Why the file is cut short or not for browsers, or null when it is complete and browser-decodable.</summary>
    public static string? Problem(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8)
        {
            return "not a JPEG: no start-of-image marker";
        }

        var tables = new HuffmanTable?[8]; // 0-3 DC, 4-7 AC
        Frame? frame = null;
        var restartInterval = 0;
        var pos = 2;
        while (true)
        {
            // Markers may be preceded by any number of 0xFF fill bytes.
            if (pos >= bytes.Length || bytes[pos] != 0xFF)
            {
                return pos >= bytes.Length ? Truncated : $"broken JPEG: no marker at byte {pos:N0}";
            }

            while (pos < bytes.Length && bytes[pos] == 0xFF)
            {
                pos++;
            }

            if (pos >= bytes.Length)
            {
                return Truncated;
            }

            var marker = bytes[pos++];
            if (marker == 0xD9)
            {
                return frame is null ? "broken JPEG: the end-of-image marker comes before any frame" : null;
            }

            if (marker is 0x01 or >= 0xD0 and <= 0xD7)
            {
                continue;
            }

            if (pos + 2 > bytes.Length)
            {
                return Truncated;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(bytes[pos..]);
            if (length < 2 || pos + length > bytes.Length)
            {
                return length < 2 ? $"broken JPEG: segment {marker:X2} has length {length}" : Truncated;
            }

            var segment = bytes.Slice(pos + 2, length - 2);
            pos += length;
            switch (marker)
            {
                case 0xC4:
                    if (!ReadHuffmanTables(segment, tables))
                    {
                        return "broken JPEG: malformed Huffman table";
                    }

                    break;
                case 0xDD:
                    restartInterval = segment.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(segment) : 0;
                    break;
                case >= 0xC0 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    if (Unsupported(marker, segment) is { } unsupported)
                    {
                        return unsupported;
                    }

                    frame = Frame.Read(marker, segment);
                    if (frame is null)
                    {
                        return "broken JPEG: malformed frame header";
                    }

                    break;
                case 0xDA:
                    if (frame is null)
                    {
                        return "broken JPEG: scan before the frame header";
                    }

                    var end = ScanEnd(bytes, pos);
                    if (frame.Baseline && BaselineScanProblem(bytes[pos..end], segment, frame, tables, restartInterval) is { } problem)
                    {
                        return problem;
                    }

                    pos = end;
                    break;
            }
        }
    }

    private const string Truncated = "truncated JPEG: the file ends before its end-of-image marker";

    /// <summary>Chromium's libjpeg-turbo decodes 8-bit baseline, extended Huffman and progressive JPEG; nothing else.</summary>
    private static string? Unsupported(byte marker, ReadOnlySpan<byte> segment)
    {
        if (marker is 0xC3 or 0xC7 or 0xCB or 0xCF)
        {
            return "lossless JPEG is not shown by browsers";
        }

        if (marker is 0xC5 or 0xC6 or 0xC7 or 0xCD or 0xCE)
        {
            return "hierarchical (differential) JPEG is not shown by browsers";
        }

        if (marker >= 0xC9)
        {
            return "arithmetic-coded JPEG is not shown by browsers";
        }

        if (segment.Length > 0 && segment[0] != 8)
        {
            return $"{segment[0]}-bit JPEG is not shown by browsers (8-bit only)";
        }

        return null;
    }

    /// <summary>The position of the first marker after entropy-coded data (stuffed 0xFF00 and restart markers are data).</summary>
    private static int ScanEnd(ReadOnlySpan<byte> bytes, int pos)
    {
        for (var i = pos; i + 1 < bytes.Length; i++)
        {
            if (bytes[i] == 0xFF && bytes[i + 1] != 0x00 && bytes[i + 1] is not (>= 0xD0 and <= 0xD7) && bytes[i + 1] != 0xFF)
            {
                return i;
            }
        }

        return bytes.Length;
    }

    private static bool ReadHuffmanTables(ReadOnlySpan<byte> segment, HuffmanTable?[] tables)
    {
        var p = 0;
        while (p < segment.Length)
        {
            if (p + 17 > segment.Length)
            {
                return false;
            }

            var classAndId = segment[p];
            var counts = segment.Slice(p + 1, 16);
            var total = 0;
            foreach (var c in counts)
            {
                total += c;
            }

            if ((classAndId >> 4) > 1 || (classAndId & 15) > 3 || p + 17 + total > segment.Length)
            {
                return false;
            }

            tables[((classAndId >> 4) * 4) + (classAndId & 15)] = new HuffmanTable(counts, segment.Slice(p + 17, total));
            p += 17 + total;
        }

        return true;
    }

    /// <summary>
    /// Decodes every block's Huffman symbols (no pixels) and says whether the data ends before the last block: a cut
    /// file with an end-of-image marker appended reads as complete to the marker walk, but not here.
    /// </summary>
    private static string? BaselineScanProblem(ReadOnlySpan<byte> data, ReadOnlySpan<byte> header, Frame frame, HuffmanTable?[] tables, int restartInterval)
    {
        if (header.Length < 1 || header.Length < 1 + (2 * header[0]) + 3)
        {
            return "broken JPEG: malformed scan header";
        }

        var count = header[0];
        var components = new (Component Component, HuffmanTable Dc, HuffmanTable Ac)[count];
        for (var i = 0; i < count; i++)
        {
            var id = header[1 + (2 * i)];
            var selectors = header[2 + (2 * i)];
            var component = frame.Components.FirstOrDefault(c => c.Id == id);
            var dc = tables[(selectors >> 4) & 3];
            var ac = tables[4 + (selectors & 3)];
            if (component is null || dc is null || ac is null)
            {
                return "broken JPEG: the scan names a component or Huffman table that is not defined";
            }

            components[i] = (component, dc, ac);
        }

        long mcus;
        if (count == 1)
        {
            // Non-interleaved: one block per MCU over the component's own size.
            var c = components[0].Component;
            var width = (long)Math.Ceiling(frame.Width * c.H / (double)frame.MaxH);
            var height = (long)Math.Ceiling(frame.Height * c.V / (double)frame.MaxV);
            mcus = ((width + 7) / 8) * ((height + 7) / 8);
            components[0] = (c with { H = 1, V = 1 }, components[0].Dc, components[0].Ac);
        }
        else
        {
            mcus = ((frame.Width + (8L * frame.MaxH) - 1) / (8L * frame.MaxH)) * ((frame.Height + (8L * frame.MaxV) - 1) / (8L * frame.MaxV));
        }

        var reader = new BitReader(data);
        for (long mcu = 0; mcu < mcus; mcu++)
        {
            if (restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0 && !reader.Restart())
            {
                return $"truncated JPEG: the image data stops after {mcu:N0} of {mcus:N0} blocks (the rest would show grey)";
            }

            foreach (var (component, dc, ac) in components)
            {
                for (var block = 0; block < component.H * component.V; block++)
                {
                    if (!DecodeBlock(ref reader, dc, ac))
                    {
                        return $"truncated JPEG: the image data stops after {mcu:N0} of {mcus:N0} blocks (the rest would show grey)";
                    }
                }
            }
        }

        return null;
    }

    private static bool DecodeBlock(ref BitReader reader, HuffmanTable dc, HuffmanTable ac)
    {
        var size = dc.Decode(ref reader);
        if (size < 0 || size > 16 || !reader.Skip(size))
        {
            return false;
        }

        for (var k = 1; k < 64;)
        {
            var rs = ac.Decode(ref reader);
            if (rs < 0)
            {
                return false;
            }

            var run = rs >> 4;
            var bits = rs & 15;
            if (bits == 0)
            {
                if (run != 15)
                {
                    break; // end of block
                }

                k += 16;
                continue;
            }

            k += run + 1;
            if (!reader.Skip(bits))
            {
                return false;
            }
        }

        return true;
    }

    private sealed record Component(byte Id, int H, int V);

    private sealed record Frame(bool Baseline, int Width, int Height, Component[] Components, int MaxH, int MaxV)
    {
        public static Frame? Read(byte marker, ReadOnlySpan<byte> segment)
        {
            if (segment.Length < 6)
            {
                return null;
            }

            var height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
            var width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
            var count = segment[5];
            if (segment.Length < 6 + (3 * count) || count == 0)
            {
                return null;
            }

            var components = new Component[count];
            for (var i = 0; i < count; i++)
            {
                var sampling = segment[7 + (3 * i)];
                components[i] = new Component(segment[6 + (3 * i)], Math.Max(1, sampling >> 4), Math.Max(1, sampling & 15));
            }

            // Height 0 means "defined later by a DNL marker": not walked here, left to the decoder.
            return new Frame(marker is 0xC0 or 0xC1 && height > 0, width, height, components, components.Max(c => c.H), components.Max(c => c.V));
        }
    }

    /// <summary>A canonical Huffman code (JPEG annex C) decoded bit by bit: it never reads past the bits a symbol needs.</summary>
    private sealed class HuffmanTable
    {
        private readonly int[] _maxCode = new int[17];
        private readonly int[] _valueOffset = new int[17];
        private readonly byte[] _values;

        public HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            _values = values.ToArray();
            var code = 0;
            var k = 0;
            for (var length = 1; length <= 16; length++)
            {
                var n = counts[length - 1];
                _valueOffset[length] = k - code;
                code += n;
                k += n;
                _maxCode[length] = n > 0 ? code - 1 : -1;
                code <<= 1;
            }
        }

        /// <summary>The next symbol, or -1 when the data ends (a marker or the end of the file) or holds no valid code.</summary>
        public int Decode(ref BitReader reader)
        {
            var code = 0;
            for (var length = 1; length <= 16; length++)
            {
                var bit = reader.Read();
                if (bit < 0)
                {
                    return -1;
                }

                code = (code << 1) | bit;
                if (code <= _maxCode[length])
                {
                    var index = _valueOffset[length] + code;
                    return index >= 0 && index < _values.Length ? _values[index] : -1;
                }
            }

            return -1;
        }
    }

    /// <summary>Bits of entropy-coded data: stuffed 0xFF00 reads as 0xFF; a marker ends the data.</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;
        private int _bit = 8;
        private int _current;

        public int Read()
        {
            if (_bit == 8)
            {
                if (_pos >= _data.Length)
                {
                    return -1;
                }

                var b = _data[_pos];
                if (b == 0xFF)
                {
                    if (_pos + 1 >= _data.Length || _data[_pos + 1] != 0x00)
                    {
                        return -1; // a marker: the data ends here
                    }

                    _pos++;
                }

                _current = b;
                _pos++;
                _bit = 0;
            }

            return (_current >> (7 - _bit++)) & 1;
        }

        public bool Skip(int bits)
        {
            for (var i = 0; i < bits; i++)
            {
                if (Read() < 0)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>At a restart interval: drop the partial byte and step over the RSTn marker.</summary>
        public bool Restart()
        {
            _bit = 8;
            if (_pos + 1 < _data.Length && _data[_pos] == 0xFF && _data[_pos + 1] is >= 0xD0 and <= 0xD7)
            {
                _pos += 2;
                return true;
            }

            return false;
        }
    }
}
