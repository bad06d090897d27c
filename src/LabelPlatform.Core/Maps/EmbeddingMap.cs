using System.Buffers.Binary;
using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Maps;

/// <summary>
/// A dataset's 2-D embedding map under one model version (UMAP of its vectors), kept until it is computed again:
/// one row per (dataset, model version), the points as one blob.
/// </summary>
public class EmbeddingMap
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public int ModelId { get; set; }
    public int PointCount { get; set; }
    public DateTimeOffset ComputedAt { get; set; }

    /// <summary>The map run that computed it (null when that run's row was deleted).</summary>
    public long? JobRunId { get; set; }

    /// <summary>Seconds per phase and the parameters, as a line people read on the page ("PCA 1.2 s, kNN ...").</summary>
    public string? Timings { get; set; }

    /// <summary><see cref="MapPoints"/>: per point the image id and x, y in [0, 1], 16 bytes little-endian each.</summary>
    public required byte[] Points { get; set; }
}

/// <summary>Reads and writes <see cref="EmbeddingMap.Points"/>: (long image id, float x, float y) per point.</summary>
public static class MapPoints
{
    public const int BytesPerPoint = 16;

    public static byte[] Encode(IReadOnlyList<long> ids, ReadOnlySpan<float> xy)
    {
        var bytes = new byte[ids.Count * BytesPerPoint];
        for (var i = 0; i < ids.Count; i++)
        {
            var slot = bytes.AsSpan(i * BytesPerPoint, BytesPerPoint);
            BinaryPrimitives.WriteInt64LittleEndian(slot, ids[i]);
            BinaryPrimitives.WriteSingleLittleEndian(slot[8..], xy[2 * i]);
            BinaryPrimitives.WriteSingleLittleEndian(slot[12..], xy[2 * i + 1]);
        }

        return bytes;
    }

    public static (long[] Ids, float[] X, float[] Y) Decode(byte[] bytes)
    {
        var n = bytes.Length / BytesPerPoint;
        var (ids, x, y) = (new long[n], new float[n], new float[n]);
        for (var i = 0; i < n; i++)
        {
            var slot = bytes.AsSpan(i * BytesPerPoint, BytesPerPoint);
            ids[i] = BinaryPrimitives.ReadInt64LittleEndian(slot);
            x[i] = BinaryPrimitives.ReadSingleLittleEndian(slot[8..]);
            y[i] = BinaryPrimitives.ReadSingleLittleEndian(slot[12..]);
        }

        return (ids, x, y);
    }

    /// <summary>Scales a layout (n x 2) into [0, 1] on both axes with one factor, so the map keeps its aspect ratio.</summary>
    public static void Normalise(Span<float> xy)
    {
        if (xy.Length == 0)
        {
            return;
        }

        float minX = float.PositiveInfinity, minY = float.PositiveInfinity, maxX = float.NegativeInfinity, maxY = float.NegativeInfinity;
        for (var i = 0; i < xy.Length; i += 2)
        {
            (minX, maxX) = (Math.Min(minX, xy[i]), Math.Max(maxX, xy[i]));
            (minY, maxY) = (Math.Min(minY, xy[i + 1]), Math.Max(maxY, xy[i + 1]));
        }

        var span = Math.Max(maxX - minX, maxY - minY);
        var scale = span > 0 ? 1 / span : 0;
        // Centred on the shorter axis.
        var (offsetX, offsetY) = ((1 - (maxX - minX) * scale) / 2, (1 - (maxY - minY) * scale) / 2);
        for (var i = 0; i < xy.Length; i += 2)
        {
            xy[i] = span > 0 ? (xy[i] - minX) * scale + offsetX : 0.5f;
            xy[i + 1] = span > 0 ? (xy[i + 1] - minY) * scale + offsetY : 0.5f;
        }
    }
}

/// <summary>Bound from "Maps".</summary>
public sealed class MapOptions
{
    public const string Section = "Maps";

    /// <summary>Threads a map run uses; 0 = one per core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>The seed of every map (same vectors and one thread: the same map).</summary>
    public long Seed { get; set; } = 42;

    /// <summary>Largest dataset mapped (the vectors are held in memory: 100,000 x 1280 floats are 512 MB).</summary>
    [Range(2, 2_000_000)]
    public int MaxPoints { get; set; } = 200_000;

    /// <summary>Images one "label the selection" action may label.</summary>
    [Range(1, 100_000)]
    public int MaxLabelBatch { get; set; } = 5_000;
}

/// <summary>The parameters a map run stores: which model version's vectors to project.</summary>
public sealed record MapParameters(int ModelId);

public sealed class MapException(string message) : Exception(message);
