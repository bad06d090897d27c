namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// CRC-32 (IEEE 802.3, the one gzip and zip use), table-driven. Small enough to own: the gzip trailer check must not
/// depend on whether GZipStream happens to read the trailer.
/// </summary>
internal struct Crc32
{
    private static readonly uint[] Table = BuildTable();
    private uint _state;

    public Crc32() => _state = 0xFFFFFFFFu;

    public readonly uint Value => ~_state;

    public void Append(ReadOnlySpan<byte> data)
    {
        var state = _state;
        foreach (var b in data)
        {
            state = Table[(state ^ b) & 0xFF] ^ (state >> 8);
        }

        _state = state;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
