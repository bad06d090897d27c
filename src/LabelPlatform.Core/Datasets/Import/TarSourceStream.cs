using System.Buffers.Binary;
using System.IO.Compression;

namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// The byte stream a tar is read from (the file itself or its gzip-decompressed content): forward-only, so TarReader
/// reads every byte through it; counts what was consumed (to bound a bomb by what it expands to, also in entries that are
/// skipped without being written, and to see where the tar's end marker lies); and, for .tar.gz, checks the gzip
/// trailer itself. GZipStream ends silently on a stream cut off before its trailer, and no one reads the trailer when
/// TarReader stops at the end marker, so a corrupt or truncated .tar.gz would otherwise pass.
/// </summary>
internal sealed class TarSourceStream(Stream inner, bool gzip, long maxConsumed) : Stream
{
    private Crc32 _crc = new();

    public long Consumed { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Consumed; set => throw new NotSupportedException(); }

    public static TarSourceStream Open(string path, bool gzip, long maxConsumed)
    {
        var file = File.OpenRead(path);
        return new TarSourceStream(gzip ? new GZipStream(file, CompressionMode.Decompress) : file, gzip, maxConsumed);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read;
        try
        {
            read = inner.Read(buffer);
        }
        catch (InvalidDataException ex) when (gzip)
        {
            // GZipStream's own message ("unsupported compression method") misleads for a flipped bit or a bad CRC.
            throw new InvalidDataException($"the gzip stream is corrupt {Size(Consumed)} into the decompressed data", ex);
        }

        Count(buffer[..read]);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try
        {
            read = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (InvalidDataException ex) when (gzip)
        {
            throw new InvalidDataException($"the gzip stream is corrupt {Size(Consumed)} into the decompressed data", ex);
        }

        Count(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Count(ReadOnlySpan<byte> data)
    {
        Consumed += data.Length;
        if (Consumed > maxConsumed)
        {
            throw new ImportSourceException($"archive expands to more than {Size(maxConsumed)} (the cap); extraction stopped");
        }

        if (gzip)
        {
            _crc.Append(data);
        }
    }

    /// <summary>
    /// Reads what follows the tar's end marker (padding, at most <paramref name="maxTrailing"/> bytes) and, for .tar.gz,
    /// compares CRC-32 and size of everything decompressed with the gzip trailer: the last 8 bytes of the file.
    /// Throws InvalidDataException with the reason when they differ. Only single-member gzip files pass (what gzip,
    /// pigz and tar write); a concatenation of members ends with the last member's trailer and is refused.
    /// </summary>
    public async Task VerifyEndAsync(string path, long maxTrailing, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        var start = Consumed;
        int read;
        while ((read = await ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (Consumed - start > maxTrailing)
            {
                throw new InvalidDataException($"more than {Size(maxTrailing)} of data follows the tar end-of-archive marker");
            }
        }

        if (!gzip)
        {
            return;
        }

        var trailer = new byte[8];
        await using (var file = File.OpenRead(path))
        {
            if (file.Length < 18)
            {
                throw new InvalidDataException("the gzip file is too short to hold its header and trailer");
            }

            file.Seek(-8, SeekOrigin.End);
            await file.ReadExactlyAsync(trailer, cancellationToken);
        }

        var crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        var size = BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(4));
        if (crc != _crc.Value || size != unchecked((uint)Consumed))
        {
            throw new InvalidDataException(
                $"the gzip trailer does not match the decompressed data (CRC-32 {_crc.Value:x8} and size {unchecked((uint)Consumed):N0}; the trailer says {crc:x8} and {size:N0}): the file is corrupt or truncated, or is a concatenation of gzip members, which is not supported");
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    private static string Size(long bytes) => ArchiveExtractor.Size(bytes);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
