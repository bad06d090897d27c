using System.Runtime.InteropServices;

namespace LabelPlatform.Core.Search;

/// <summary>
/// The rows of one <see cref="ExactVectorIndex"/> snapshot: row r lives in segment r &gt;&gt; shift, at its offset plus
/// (r - segment start) x dimension. Rows below <see cref="Count"/> are never written again, so the view stays valid.
/// </summary>
internal sealed record IndexRows((float[] Array, int Offset)[] Segments, int SegmentShift, long[] Ids, int Count, int Dimension)
{
    public ReadOnlySpan<float> Row(int row)
    {
        var (array, offset) = Segments[row >> SegmentShift];
        return array.AsSpan(offset + ((row - ((row >> SegmentShift) << SegmentShift)) * Dimension), Dimension);
    }
}

/// <summary>
/// Every vector's best similarity with any other vector of the same index: the nearest-neighbour score that
/// "uniqueness" (LightlyStudio) is the complement of. All n(n-1)/2 pairs are scored once with <see cref="DotKernel"/>,
/// in square tiles of rows so both tiles stay in cache while they are crossed (without tiling each row would stream
/// the whole index from memory, n times). Each score updates both of its rows; workers keep their own maxima and
/// merge them at the end. The kernel is the search's, so a pair scores exactly what a search for either would.
/// </summary>
internal static class NearestOther
{
    /// <summary>Floats per tile: 128 KB, so two tiles (the pair being crossed) sit in a core's L2.</summary>
    private const int TileFloats = 1 << 15;

    /// <summary>
    /// For each row (index order) the best dot product with another row; <see cref="float.NegativeInfinity"/> for a
    /// lone row. Only rows <paramref name="include"/> accepts take part (null: all), as candidates and as queries.
    /// </summary>
    public static float[] BestScores(IndexRows rows, Func<long, bool>? include, int maxThreads, CancellationToken cancellationToken, int? tileRows = null)
    {
        var n = rows.Count;
        var best = new float[n];
        Array.Fill(best, float.NegativeInfinity);
        var used = Enumerable.Range(0, n).Where(r => include is null || include(rows.Ids[r])).ToArray();
        if (used.Length < 2)
        {
            return best;
        }

        var tile = Math.Max(1, tileRows ?? TileFloats / rows.Dimension);
        var tiles = (used.Length + tile - 1) / tile;
        var merged = best;
        var gate = new Lock();
        // Work item a crosses tile a with tiles a..end: early items are longer, and Parallel.For hands out the rest
        // as workers free up, so the triangle balances well enough.
        Parallel.For(
            0,
            tiles,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxThreads), CancellationToken = cancellationToken },
            () => CreateLocal(n),
            (a, _, local) =>
            {
                for (var b = a; b < tiles; b++)
                {
                    Cross(rows, used, a * tile, Math.Min(used.Length, (a + 1) * tile), b * tile, Math.Min(used.Length, (b + 1) * tile), local);
                }

                return local;
            },
            local =>
            {
                lock (gate)
                {
                    for (var i = 0; i < n; i++)
                    {
                        merged[i] = Math.Max(merged[i], local[i]);
                    }
                }
            });
        return best;
    }

    private static float[] CreateLocal(int n)
    {
        var local = new float[n];
        Array.Fill(local, float.NegativeInfinity);
        return local;
    }

    // Scores used rows [aStart, aEnd) against [bStart, bEnd); on the diagonal tile only pairs above the diagonal.
    private static void Cross(IndexRows rows, int[] used, int aStart, int aEnd, int bStart, int bEnd, float[] best)
    {
        var d = (nuint)rows.Dimension;
        for (var i = aStart; i < aEnd; i++)
        {
            var ri = used[i];
            ref var q = ref MemoryMarshal.GetReference(rows.Row(ri));
            var top = best[ri];
            for (var j = Math.Max(bStart, i + 1); j < bEnd; j++)
            {
                var rj = used[j];
                var score = DotKernel.Score(ref q, ref MemoryMarshal.GetReference(rows.Row(rj)), 0, d);
                top = Math.Max(top, score);
                if (score > best[rj])
                {
                    best[rj] = score;
                }
            }

            best[ri] = top;
        }
    }
}
