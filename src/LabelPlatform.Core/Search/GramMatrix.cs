namespace LabelPlatform.Core.Search;

/// <summary>
/// All pairwise scores of one set of rows with itself, c[i * n + j] = x_i · x_j: the leave-one-out product, where
/// queries and candidates are the same images. The product is symmetric, so only the blocks on and above the
/// diagonal are multiplied (half the work of a general product) and the rest is copied across.
/// </summary>
/// <remarks>
/// Bit-identical to a general <see cref="GemmKernel"/> product of x with itself: the kernel's arithmetic for a pair
/// is one FMA chain over a_k * b_k, and a * b == b * a exactly, so x_i · x_j as (query i, row j) and as (query j,
/// row i) are the same float. The mirror therefore changes no score, and no tie.
/// </remarks>
public static class GramMatrix
{
    /// <summary>Row blocks multiplied at a time (1.3 MB of 1280-d rows) against column chunks of <see cref="ColumnChunk"/>.</summary>
    public const int RowBlock = 256;

    /// <summary>Columns per work item: small enough that two workers stay busy to the end of the triangle.</summary>
    public const int ColumnChunk = 1024;

    /// <summary>Largest matrix (floats) this class fills: 1 GB, about 16,000 x 16,000.</summary>
    public const long MaxScores = 1L << 28;

    /// <summary>
    /// Fills the upper triangle (and the diagonal blocks whole) of c (n x n) with <see cref="GemmKernel"/> on at
    /// most <paramref name="maxDegreeOfParallelism"/> workers; <see cref="MirrorRows"/> then completes rows.
    /// </summary>
    public static void FillUpper(float[] x, int n, int d, float[] c, int maxDegreeOfParallelism, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        // Spans index with int: the whole matrix must fit one (callers cap it far lower, see MaxScores).
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)n * n, MaxScores);
        if (x.LongLength < (long)n * d || c.LongLength < (long)n * n)
        {
            throw new ArgumentException("An operand is shorter than its stated size.");
        }

        // Work items of roughly equal size (a row block x a column chunk), biggest row blocks first.
        var items = new List<(int Row, int Column)>();
        for (var r0 = 0; r0 < n; r0 += RowBlock)
        {
            for (var c0 = r0; c0 < n; c0 += ColumnChunk)
            {
                items.Add((r0, c0));
            }
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism, CancellationToken = cancellationToken };
        Parallel.For(0, items.Count, options, i =>
        {
            var (r0, c0) = items[i];
            var rows = Math.Min(RowBlock, n - r0);
            var columns = Math.Min(ColumnChunk, n - c0);
            GemmKernel.Multiply(x.AsSpan(r0 * d, rows * d), rows, x.AsSpan(c0 * d, columns * d), columns, d, c.AsSpan((r0 * n) + c0), n);
        });
    }

    /// <summary>
    /// Completes rows [r0, r1) after <see cref="FillUpper"/>: c[r, j] = c[j, r] for every j &lt; r. Reads only
    /// entries above the diagonal and writes only entries below it, so workers may complete disjoint rows at once.
    /// </summary>
    public static void MirrorRows(float[] c, int n, int r0, int r1)
    {
        // Tiles of 64 columns: the source row segments are read along, the destination columns written within a
        // tile that stays in cache.
        const int tile = 64;
        for (var j0 = 0; j0 < r1 - 1; j0 += tile)
        {
            var j1 = Math.Min(j0 + tile, r1 - 1);
            for (var j = j0; j < j1; j++)
            {
                var source = (long)j * n;
                for (var r = Math.Max(r0, j + 1); r < r1; r++)
                {
                    c[((long)r * n) + j] = c[source + r];
                }
            }
        }
    }
}
