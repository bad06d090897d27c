using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// the whole index from memory, n times). Off the diagonal, four rows meet two at a time in registers (eight sums
/// from six loads, where one pair at a time needs two loads per sum); on the diagonal and at the edges the search's
/// <see cref="DotKernel"/> scores the rest. Each score updates both of its rows; workers keep their own maxima and
/// merge them at the end. The blocked sums add in another order than the search's, so a score may differ from a
/// search's in the last bits (the order of images, not their values, is what the browser uses).
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
                var (aStart, aEnd) = (a * tile, Math.Min(used.Length, (a + 1) * tile));
                Cross(rows, used, aStart, aEnd, aStart, aEnd, local);
                for (var b = a + 1; b < tiles; b++)
                {
                    CrossBlocked(rows, used, aStart, aEnd, b * tile, Math.Min(used.Length, (b + 1) * tile), local);
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

    // Two disjoint tiles: blocks of 4 x 2 rows in registers, the edges (rows left over) one pair at a time.
    private static void CrossBlocked(IndexRows rows, int[] used, int aStart, int aEnd, int bStart, int bEnd, float[] best)
    {
        if (!Vector256.IsHardwareAccelerated || rows.Dimension < Vector256<float>.Count)
        {
            Cross(rows, used, aStart, aEnd, bStart, bEnd, best);
            return;
        }

        Span<float> sums = stackalloc float[8];
        var i = aStart;
        for (; i + 4 <= aEnd; i += 4)
        {
            var j = bStart;
            for (; j + 2 <= bEnd; j += 2)
            {
                Dot4x2(rows.Row(used[i]), rows.Row(used[i + 1]), rows.Row(used[i + 2]), rows.Row(used[i + 3]), rows.Row(used[j]), rows.Row(used[j + 1]), sums);
                for (var q = 0; q < 4; q++)
                {
                    for (var m = 0; m < 2; m++)
                    {
                        var score = sums[(q * 2) + m];
                        var (ri, rj) = (used[i + q], used[j + m]);
                        best[ri] = Math.Max(best[ri], score);
                        best[rj] = Math.Max(best[rj], score);
                    }
                }
            }

            Cross(rows, used, i, i + 4, j, bEnd, best);
        }

        Cross(rows, used, i, aEnd, bStart, bEnd, best);
    }

    /// <summary>The eight dot products of four rows with two, eight floats at a time; the last d mod 8 one by one.</summary>
    private static void Dot4x2(ReadOnlySpan<float> q0, ReadOnlySpan<float> q1, ReadOnlySpan<float> q2, ReadOnlySpan<float> q3, ReadOnlySpan<float> m0, ReadOnlySpan<float> m1, Span<float> sums)
    {
        var d = q0.Length;
        ref var rq0 = ref MemoryMarshal.GetReference(q0);
        ref var rq1 = ref MemoryMarshal.GetReference(q1);
        ref var rq2 = ref MemoryMarshal.GetReference(q2);
        ref var rq3 = ref MemoryMarshal.GetReference(q3);
        ref var rm0 = ref MemoryMarshal.GetReference(m0);
        ref var rm1 = ref MemoryMarshal.GetReference(m1);
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        var w = Vector256<float>.Count;
        var k = 0;
        for (; k + w <= d; k += w)
        {
            // Spans of equal length d (rows of one index), so every load stays inside its row.
            var x0 = Vector256.LoadUnsafe(ref rm0, (nuint)k);
            var x1 = Vector256.LoadUnsafe(ref rm1, (nuint)k);
            var v = Vector256.LoadUnsafe(ref rq0, (nuint)k);
            a00 = Vector256.FusedMultiplyAdd(v, x0, a00);
            a01 = Vector256.FusedMultiplyAdd(v, x1, a01);
            v = Vector256.LoadUnsafe(ref rq1, (nuint)k);
            a10 = Vector256.FusedMultiplyAdd(v, x0, a10);
            a11 = Vector256.FusedMultiplyAdd(v, x1, a11);
            v = Vector256.LoadUnsafe(ref rq2, (nuint)k);
            a20 = Vector256.FusedMultiplyAdd(v, x0, a20);
            a21 = Vector256.FusedMultiplyAdd(v, x1, a21);
            v = Vector256.LoadUnsafe(ref rq3, (nuint)k);
            a30 = Vector256.FusedMultiplyAdd(v, x0, a30);
            a31 = Vector256.FusedMultiplyAdd(v, x1, a31);
        }

        (sums[0], sums[1], sums[2], sums[3]) = (Vector256.Sum(a00), Vector256.Sum(a01), Vector256.Sum(a10), Vector256.Sum(a11));
        (sums[4], sums[5], sums[6], sums[7]) = (Vector256.Sum(a20), Vector256.Sum(a21), Vector256.Sum(a30), Vector256.Sum(a31));
        for (; k < d; k++)
        {
            sums[0] += q0[k] * m0[k];
            sums[1] += q0[k] * m1[k];
            sums[2] += q1[k] * m0[k];
            sums[3] += q1[k] * m1[k];
            sums[4] += q2[k] * m0[k];
            sums[5] += q2[k] * m1[k];
            sums[6] += q3[k] * m0[k];
            sums[7] += q3[k] * m1[k];
        }
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
