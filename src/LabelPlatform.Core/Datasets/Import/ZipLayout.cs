using System.Buffers.Binary;
using System.Text;

namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// Reads a zip's central directory and local headers (not the data) and refuses layouts no zip tool writes: entries whose
/// bytes overlap (the overlapping-entry bomb: many central entries pointing at one local entry that inflates to 40 MB
/// each time), entries running into the central directory or past the end, more entries than the cap, spanned archives.
/// ZipArchive does not look: it opens every entry from wherever its offset points.
/// </summary>
internal static class ZipLayout
{
    private const uint EndOfCentralDirectory = 0x06054b50, Zip64Locator = 0x07064b50, Zip64End = 0x06064b50;
    private const uint CentralHeader = 0x02014b50, LocalHeader = 0x04034b50;

    private sealed record Span(long Start, long End, string Name);

    /// <summary>Throws <see cref="ImportSourceException"/> naming the problem when the layout is unsafe or unreadable.</summary>
    public static void Check(string path, int maxEntries)
    {
        using var file = File.OpenRead(path);
        var (count, cdOffset, cdSize) = ReadEnd(file);
        if (count > maxEntries)
        {
            throw new ImportSourceException($"archive has more than {maxEntries:N0} entries (the cap): its central directory lists {count:N0}");
        }

        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > file.Length)
        {
            throw Unreadable("the central directory lies outside the file");
        }

        var spans = new List<Span>((int)Math.Min(count, 100_000));
        file.Position = cdOffset;
        using var reader = new BinaryReader(new BufferedStream(file, 65536), Encoding.UTF8, leaveOpen: true);
        var header = new byte[30];
        var localFile = File.OpenRead(path);
        using (localFile)
        {
            for (long i = 0; i < count; i++)
            {
                var (name, localOffset, compressed) = ReadCentralEntry(reader, i);
                if (localOffset < 0 || localOffset + 30 > cdOffset)
                {
                    throw Unreadable($"entry '{name}' points at offset {localOffset:N0}, outside the entries' area");
                }

                localFile.Position = localOffset;
                localFile.ReadExactly(header);
                if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalHeader)
                {
                    throw Unreadable($"entry '{name}' points at offset {localOffset:N0}, where no local header is");
                }

                long headerLength = 30 + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(28));
                var end = localOffset + headerLength + compressed;
                if (compressed < 0 || end > cdOffset)
                {
                    throw new ImportSourceException($"zip entry '{name}' declares {compressed:N0} compressed bytes, running past its data into the central directory or the end of the file; the archive is refused");
                }

                spans.Add(new Span(localOffset, end, name));
            }
        }

        // Entries may be listed in any order; sorted by where they start, each must start at or after every earlier end.
        spans.Sort((a, b) => a.Start.CompareTo(b.Start));
        Span? furthest = null;
        foreach (var span in spans)
        {
            if (furthest is not null && span.Start < furthest.End)
            {
                throw new ImportSourceException(
                    $"zip entries '{span.Name}' and '{furthest.Name}' overlap (bytes {span.Start:N0} to {Math.Min(span.End, furthest.End):N0} belong to both): overlapping entries are a zip-bomb technique, so the archive is refused");
            }

            if (furthest is null || span.End > furthest.End)
            {
                furthest = span;
            }
        }
    }

    private static (long Count, long Offset, long Size) ReadEnd(FileStream file)
    {
        // The end record is 22 bytes plus a comment of up to 65,535 bytes, so it lies in the last 65,557 bytes.
        var tailLength = (int)Math.Min(file.Length, 22 + 65535);
        var tail = new byte[tailLength];
        file.Position = file.Length - tailLength;
        file.ReadExactly(tail);
        for (var i = tailLength - 22; i >= 0; i--)
        {
            var record = tail.AsSpan(i);
            if (BinaryPrimitives.ReadUInt32LittleEndian(record) != EndOfCentralDirectory
                || BinaryPrimitives.ReadUInt16LittleEndian(record[20..]) != tailLength - i - 22)
            {
                continue; // not the record, or the signature's bytes inside a comment
            }

            var position = file.Length - tailLength + i;
            int disk = BinaryPrimitives.ReadUInt16LittleEndian(record[4..]), cdDisk = BinaryPrimitives.ReadUInt16LittleEndian(record[6..]);
            long count = BinaryPrimitives.ReadUInt16LittleEndian(record[10..]);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(record[16..]);
            if (position >= 20 && ReadZip64End(file, position) is { } zip64)
            {
                return zip64;
            }

            if (disk != 0 || cdDisk != 0)
            {
                throw new ImportSourceException("spanned (multi-disk) zip archives are not supported");
            }

            return (count, offset, size);
        }

        throw Unreadable("no end-of-central-directory record");
    }

    private static (long, long, long)? ReadZip64End(FileStream file, long endPosition)
    {
        var locator = new byte[20];
        file.Position = endPosition - 20;
        file.ReadExactly(locator);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64Locator)
        {
            return null;
        }

        var recordOffset = BinaryPrimitives.ReadInt64LittleEndian(locator.AsSpan(8));
        if (recordOffset < 0 || recordOffset + 56 > endPosition - 20)
        {
            throw Unreadable("the zip64 end record lies outside the file");
        }

        var record = new byte[56];
        file.Position = recordOffset;
        file.ReadExactly(record);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64End)
        {
            throw Unreadable("the zip64 locator points at no zip64 end record");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(16)) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(20)) != 0)
        {
            throw new ImportSourceException("spanned (multi-disk) zip archives are not supported");
        }

        return (BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(32)), BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(48)), BinaryPrimitives.ReadInt64LittleEndian(record.AsSpan(40)));
    }

    private static (string Name, long LocalOffset, long Compressed) ReadCentralEntry(BinaryReader reader, long index)
    {
        try
        {
            var fixedPart = reader.ReadBytes(46);
            if (fixedPart.Length < 46 || BinaryPrimitives.ReadUInt32LittleEndian(fixedPart) != CentralHeader)
            {
                throw Unreadable($"central directory entry {index + 1:N0} is missing or damaged");
            }

            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart.AsSpan(20));
            long uncompressed = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart.AsSpan(24));
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(28));
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(30));
            int commentLength = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(32));
            int disk = BinaryPrimitives.ReadUInt16LittleEndian(fixedPart.AsSpan(34));
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(fixedPart.AsSpan(42));
            var name = Encoding.UTF8.GetString(reader.ReadBytes(nameLength));
            var extra = reader.ReadBytes(extraLength);
            reader.BaseStream.Seek(commentLength, SeekOrigin.Current);

            // Zip64: the 32-bit fields that read all ones are in the 0x0001 extra field, in this order.
            for (var at = 0; at + 4 <= extra.Length;)
            {
                int tag = BinaryPrimitives.ReadUInt16LittleEndian(extra.AsSpan(at)), length = BinaryPrimitives.ReadUInt16LittleEndian(extra.AsSpan(at + 2));
                if (tag == 1)
                {
                    var fieldEnd = Math.Min(at + 4 + length, extra.Length);
                    var next = at + 4;
                    long Next()
                    {
                        if (next + 8 > fieldEnd)
                        {
                            throw Unreadable($"entry '{name}' has a short zip64 field");
                        }

                        next += 8;
                        return BinaryPrimitives.ReadInt64LittleEndian(extra.AsSpan(next - 8));
                    }

                    if (uncompressed == uint.MaxValue) { uncompressed = Next(); }
                    if (compressed == uint.MaxValue) { compressed = Next(); }
                    if (offset == uint.MaxValue) { offset = Next(); }
                    break;
                }

                at += 4 + length;
            }

            if (disk != 0 && disk != ushort.MaxValue)
            {
                throw new ImportSourceException("spanned (multi-disk) zip archives are not supported");
            }

            return (name, offset, compressed);
        }
        catch (EndOfStreamException)
        {
            throw Unreadable($"the central directory ends inside entry {index + 1:N0}");
        }
    }

    private static ImportSourceException Unreadable(string why) => new($"unreadable zip archive: {why}");
}
