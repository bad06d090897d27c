namespace LabelPlatform.Core.Search;

/// <summary>One query of a batch: a unit vector, its k, and the same filters a single search takes.</summary>
public readonly record struct BatchQuery(ReadOnlyMemory<float> Vector, int K, int? ClassId = null, long? ExcludeId = null);

/// <summary>
/// The batch path: many queries read the stored vectors once. Rows are scored in tiles of
/// <see cref="GemmKernel.TileRows"/> against all queries by <see cref="GemmKernel"/> (compute-bound, where one query
/// at a time is memory-bound), and each query's scores for the tile go straight into its own bounded heap.
/// </summary>
public sealed partial class ExactVectorIndex
{
    /// <summary>
    /// The same hits, in the same order, as <see cref="Search"/> called once per query: the kernel's scores are
    /// bit-identical to the single-query scan's and the heaps use the same total order, so ties are broken alike.
    /// </summary>
    public IReadOnlyList<SearchHit>[] SearchBatch(IReadOnlyList<BatchQuery> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var m = queries.Count;
        var d = Dimension;
        var packed = new float[(long)m * d];
        var filters = new Filter[m];
        for (var q = 0; q < m; q++)
        {
            var query = queries[q];
            VectorIndexLimits.CheckQuery(query.Vector.Span, query.K, d, query.ClassId);
            query.Vector.Span.CopyTo(packed.AsSpan(q * d, d));
            filters[q] = new Filter(query.ClassId, query.ExcludeId);
        }

        var s = Volatile.Read(ref _snapshot);
        var results = new IReadOnlyList<SearchHit>[m];
        if (m == 0 || s.Count == 0)
        {
            Array.Fill(results, []);
            return results;
        }

        TopK[] NewHeaps()
        {
            var heaps = new TopK[m];
            for (var q = 0; q < m; q++)
            {
                heaps[q] = new TopK(Math.Min(queries[q].K, s.Count));
            }

            return heaps;
        }

        var chunkRows = 1 << _chunkShift;
        var chunks = (s.Count + chunkRows - 1) / chunkRows;
        var threads = _maxDegreeOfParallelism;
        TopK[] merged;
        if (threads == 1 || chunks < 2 || (long)s.Count * d < _parallelMinFloats)
        {
            merged = NewHeaps();
            ScanBatch(packed, m, s, 0, s.Count, filters, merged, new float[m * GemmKernel.TileRows]);
        }
        else
        {
            // As in Search: each worker keeps its own heaps (and score tile) over the chunks it takes, merged at the end.
            merged = NewHeaps();
            Parallel.For(
                0,
                chunks,
                new ParallelOptions { MaxDegreeOfParallelism = threads },
                () => (Heaps: NewHeaps(), Scores: new float[m * GemmKernel.TileRows]),
                (chunk, _, local) =>
                {
                    var first = chunk * chunkRows;
                    ScanBatch(packed, m, s, first, Math.Min(s.Count, first + chunkRows), filters, local.Heaps, local.Scores);
                    return local;
                },
                local =>
                {
                    lock (merged)
                    {
                        for (var q = 0; q < m; q++)
                        {
                            merged[q].Merge(local.Heaps[q]);
                        }
                    }
                });
        }

        for (var q = 0; q < m; q++)
        {
            results[q] = merged[q].ToHits();
        }

        return results;
    }

    // Rows [first, end) in tiles inside their segment; scores[q * TileRows + r] for the tile's row r.
    private void ScanBatch(float[] packed, int m, Snapshot s, int first, int end, Filter[] filters, TopK[] heaps, float[] scores)
    {
        var d = Dimension;
        var ids = s.Ids;
        var classes = s.Classes;
        var tile = GemmKernel.TileRows;
        var row = first;
        while (row < end)
        {
            var segmentIndex = row >> _segmentShift;
            var segment = s.Segments[segmentIndex];
            var segmentBase = segmentIndex << _segmentShift;
            var rows = Math.Min(tile, Math.Min(end, segmentBase + (1 << _segmentShift)) - row);
            var offset = segment.Offset + ((row - segmentBase) * d);
            GemmKernel.Multiply(packed, m, segment.Array.AsSpan(offset, rows * d), rows, d, scores, tile);
            for (var q = 0; q < m; q++)
            {
                var top = heaps[q];
                var filter = filters[q];
                var threshold = top.Threshold;
                var line = scores.AsSpan(q * tile, rows);
                for (var r = 0; r < line.Length; r++)
                {
                    // >= as in Scan: an equal score may still enter on a lower id.
                    if (line[r] >= threshold && (!filter.Active || filter.Accepts(ids[row + r], classes[row + r])))
                    {
                        top.Offer(line[r], ids[row + r], classes[row + r]);
                        threshold = top.Threshold;
                    }
                }
            }

            row += rows;
        }
    }
}
