using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace LabelPlatform.Tests.Datasets;

/// <summary>Builds hostile archives in code (nothing binary is committed): the layouts zip and tar tools never write.</summary>
public static class HostileArchives
{
    public static byte[] Zip(params (string Name, byte[] Data)[] entries)
    {
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                stream.Write(data);
            }
        }

        return output.ToArray();
    }

    public static byte[] Tar(bool gzip, params TarEntry[] entries)
    {
        var output = new MemoryStream();
        using (Stream stream = gzip ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true) : output)
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    public static PaxTarEntry Entry(string name, byte[] data) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) };

    public static PaxTarEntry Link(TarEntryType type, string name, string target) => new(type, name) { LinkName = target };

    /// <summary>Text that deflate codes with Huffman tables (random bytes would go into stored blocks that never fail to decode).</summary>
    public static byte[] Text(int length, int seed)
    {
        var random = new Random(seed);
        var words = new[] { "cat ", "dog ", "label ", "image ", "archive ", "search\n" };
        var builder = new StringBuilder(length + 16);
        while (builder.Length < length)
        {
            builder.Append(words[random.Next(words.Length)]);
        }

        return Encoding.ASCII.GetBytes(builder.ToString(0, length));
    }

    /// <summary>
    /// The overlapping-entry bomb: one local entry of <paramref name="inflated"/> zeros, and <paramref name="count"/>
    /// central-directory entries (distinct names) that all point at it, so each extracts the same bytes again.
    /// </summary>
    public static byte[] Overlapping(int count, int inflated)
    {
        var single = Zip(("bomb.jpg", new byte[inflated]));
        var (cdOffset, cdEntry) = FirstCentralEntry(single);
        var output = new MemoryStream();
        output.Write(single.AsSpan(0, cdOffset));
        for (var i = 0; i < count; i++)
        {
            var name = Encoding.ASCII.GetBytes($"cats/copy-{i:D4}.jpg");
            var header = cdEntry[..46].ToArray();
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), (ushort)name.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(30), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(32), 0);
            output.Write(header);
            output.Write(name);
        }

        var cdSize = (int)output.Length - cdOffset;
        output.Write(EndRecord(count, cdSize, cdOffset));
        return output.ToArray();
    }

    /// <summary>Rewrites the declared uncompressed size of the first entry (local header and central directory alike).</summary>
    public static byte[] WithDeclaredSize(byte[] zip, uint size)
    {
        var copy = (byte[])zip.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(22), size);
        var (cdOffset, _) = FirstCentralEntry(copy);
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(cdOffset + 24), size);
        return copy;
    }

    /// <summary>Zip64 oddity: the first entry's compressed size is moved to a zip64 field that claims 2^62 bytes.</summary>
    public static byte[] Zip64HugeCompressedSize(byte[] zip)
    {
        var (cdOffset, cdEntry) = FirstCentralEntry(zip);
        var output = new MemoryStream();
        output.Write(zip.AsSpan(0, cdOffset));
        var header = cdEntry[..46].ToArray();
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), uint.MaxValue);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(30), 12);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(32), 0);
        output.Write(header);
        output.Write(cdEntry.AsSpan(46, nameLength));
        var extra = new byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(extra, 1);
        BinaryPrimitives.WriteUInt16LittleEndian(extra.AsSpan(2), 8);
        BinaryPrimitives.WriteInt64LittleEndian(extra.AsSpan(4), 1L << 62);
        output.Write(extra);
        var cdSize = (int)output.Length - cdOffset;
        output.Write(EndRecord(1, cdSize, cdOffset));
        return output.ToArray();
    }

    /// <summary>Zip64 oddity: a zip64 locator in front of the end record that points past the end of the file.</summary>
    public static byte[] Zip64LocatorOutside(byte[] zip)
    {
        var end = zip.Length - 22;
        var locator = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(locator, 0x07064b50);
        BinaryPrimitives.WriteInt64LittleEndian(locator.AsSpan(8), 1L << 40);
        BinaryPrimitives.WriteUInt32LittleEndian(locator.AsSpan(16), 1);
        var record = zip[end..].ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(10), ushort.MaxValue);
        return [.. zip[..end], .. locator, .. record];
    }

    /// <summary>Flips <paramref name="count"/> bytes in the middle of the first zip entry's compressed data.</summary>
    public static byte[] ZipWithCorruptData(byte[] zip, int count = 8)
    {
        var copy = (byte[])zip.Clone();
        var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(26));
        var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(copy.AsSpan(28));
        var compressed = (int)BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(18));
        var (cdOffset, _) = FirstCentralEntry(copy);
        compressed = compressed == 0 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(cdOffset + 20)) : compressed;
        var middle = 30 + nameLength + extraLength + compressed / 2;
        for (var i = 0; i < count; i++)
        {
            copy[middle + i] ^= 0x5A;
        }

        return copy;
    }

    /// <summary>Flips bytes in the middle of a .tar.gz's deflate stream (not its header or trailer).</summary>
    public static byte[] FlipMiddle(byte[] bytes, int count = 16)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = 0; i < count; i++)
        {
            copy[(copy.Length / 2) + i] ^= 0x5A;
        }

        return copy;
    }

    /// <summary>Changes only the gzip trailer's CRC-32 (the 8 bytes at the end are CRC-32, then size).</summary>
    public static byte[] CorruptTrailerCrc(byte[] gzip)
    {
        var copy = (byte[])gzip.Clone();
        copy[^8] ^= 0xFF;
        return copy;
    }

    /// <summary>A plain tar cut right after its last entry's data: no end-of-archive marker, every header intact.</summary>
    public static byte[] WithoutEndMarker(byte[] tar)
    {
        var end = tar.Length;
        while (end >= 512 && tar.AsSpan(end - 512, 512).IndexOfAnyExcept((byte)0) < 0)
        {
            end -= 512;
        }

        return tar[..end];
    }

    /// <summary>A ustar tar whose first header declares <paramref name="declared"/> data bytes (checksum fixed up), whatever follows.</summary>
    public static byte[] TarWithDeclaredSize(byte[] data, long declared)
    {
        var tar = Tar(gzip: false, new UstarTarEntry(TarEntryType.RegularFile, "cats/liar.jpg") { DataStream = new MemoryStream(data) });
        var size = Encoding.ASCII.GetBytes(Convert.ToString(declared, 8).PadLeft(11, '0') + "\0");
        size.CopyTo(tar, 124);
        tar.AsSpan(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in tar.AsSpan(0, 512))
        {
            sum += b;
        }

        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, 148);
        return tar;
    }

    private static (int Offset, byte[] Entry) FirstCentralEntry(byte[] zip)
    {
        var end = zip.AsSpan().LastIndexOf((ReadOnlySpan<byte>)[0x50, 0x4B, 0x05, 0x06]);
        var offset = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end + 16));
        var size = (int)BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end + 12));
        return (offset, zip[offset..(offset + size)]);
    }

    private static byte[] EndRecord(int count, int cdSize, int cdOffset)
    {
        var record = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(record, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(8), (ushort)count);
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(10), (ushort)count);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)cdSize);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(16), (uint)cdOffset);
        return record;
    }
}
