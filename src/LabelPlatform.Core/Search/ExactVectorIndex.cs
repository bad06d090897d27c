using System.Numerics;
using System.Runtime.InteropServices;

namespace LabelPlatform.Core.Search;

/// <summary>
/// Brute-force cosine search: every query is scored against every stored vector, so results are exact and a new
/// vector is searchable the moment <see cref="Add"/> returns.
/// </summary>
/// <remarks>
/// <para>Vectors must already be L2-normalised (the embedding pipeline does it once); the score is their plain dot
/// product, and only the length of a vector is checked here.</para>
/// <para>Storage is row-major float segments of at most 64 MB: the last segment grows by doubling, full ones are never
/// copied again. A single array would cap at Array.MaxLength (1.67M rows at 1280-d) and doubling it would need the
/// old and new copy at once (15 GB transiently at 1M x 1280). Segments live on the pinned object heap with their rows
/// starting on a 64-byte boundary: unaligned 512-bit loads straddle cache lines and cost about a third of the scan rate
/// on the benchmark VM (see <see cref="DotKernel"/>).</para>
/// <para>Concurrency: writers take a lock; readers take no lock at all. Each search reads one immutable snapshot
/// (segment list, id and class arrays, count) published with a volatile write after the new rows are fully written,
/// and rows below a published count are never written again, so a search sees a consistent prefix and never a torn
/// vector. Growth copies into new arrays (copy-on-grow), so older snapshots stay valid.</para>
/// </remarks>
public sealed partial class ExactVectorIndex : IVectorIndex
{
    private const int SegmentFloats = 1 << 24;
    private const int ChunkFloats = 1 << 20;
    private const int FirstSegmentRows = 64;
    private const int AlignmentBytes = 64;

    /// <summary>
    /// Below this many stored floats (8 MB, ~1,600 rows at 1280-d, a scan of about 0.2 ms) a search runs on the
    /// calling thread: splitting so little work across threads buys nothing worth the fork and merge.
    /// </summary>
    public const long ParallelMinFloats = 1L << 21;

    private readonly Lock _writeLock = new();
    private readonly Dictionary<long, int> _rows = [];
    private readonly int _segmentShift;
    private readonly int _chunkShift;
    private readonly long _parallelMinFloats;
    private Snapshot _snapshot;
    private int _maxDegreeOfParallelism = Environment.ProcessorCount;

    public ExactVectorIndex(int dimension)
        : this(dimension, SegmentFloats, ChunkFloats, ParallelMinFloats)
    {
    }

    /// <summary>Tests shrink the segments, chunks and parallel threshold to cross their boundaries with little data.</summary>
    internal ExactVectorIndex(int dimension, int segmentFloats, int chunkFloats, long parallelMinFloats)
    {
        VectorIndexLimits.CheckDimension(dimension);
        Dimension = dimension;

        // Power-of-two rows per segment and per parallel chunk, so a chunk never straddles two segments.
        _segmentShift = BitOperations.Log2((uint)Math.Max(1, segmentFloats / dimension));
        _chunkShift = Math.Min(_segmentShift, BitOperations.Log2((uint)Math.Max(1, chunkFloats / dimension)));
        _parallelMinFloats = parallelMinFloats;
        _snapshot = new Snapshot([], [], [], 0);
    }

    public int Dimension { get; }

    public int Count => Volatile.Read(ref _snapshot).Count;

    /// <summary>
    /// Threads one search may use for indexes above <see cref="ParallelMinFloats"/> (row chunks scanned by
    /// Parallel.For, one heap per worker, merged at the end). Defaults to the processor count, by measurement on the
    /// 2-core VM at 1M x 1280: 77 ms parallel against 140 ms single-threaded when the host let two cores read at twice
    /// the rate of one, and 141 against 131 ms (7% worse) when it did not; 2.2x faster at 10k. Set 1 where many searches
    /// run at once, so each takes one core.
    /// </summary>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        set => _maxDegreeOfParallelism = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least one thread.");
    }

    /// <summary>Bytes held by the vectors, ids, class ids and the id lookup (the dictionary is estimated).</summary>
    public long MemoryBytes
    {
        get
        {
            var s = Volatile.Read(ref _snapshot);
            long bytes = ((long)s.Ids.Length * sizeof(long)) + ((long)s.Classes.Length * sizeof(int));
            foreach (var segment in s.Segments)
            {
                bytes += (long)segment.Array.Length * sizeof(float);
            }

            lock (_writeLock)
            {
                // Dictionary<long,int>: a 24-byte entry plus a 4-byte bucket per slot.
                bytes += (long)_rows.EnsureCapacity(0) * 28;
            }

            return bytes;
        }
    }

    public bool Contains(long id)
    {
        lock (_writeLock)
        {
            return _rows.ContainsKey(id);
        }
    }

    /// <summary>Adds one unit-length vector.</summary>
    /// <exception cref="ArgumentException">Wrong length, a reserved class id, or an id already stored.</exception>
    public void Add(long id, int? classId, ReadOnlySpan<float> vector)
    {
        VectorIndexLimits.CheckVector(vector, Dimension, nameof(vector));
        VectorIndexLimits.CheckClass(classId, nameof(classId));
        lock (_writeLock)
        {
            if (!_rows.TryAdd(id, _snapshot.Count))
            {
                throw new ArgumentException($"Id {id} is already in the index.", nameof(id));
            }

            try
            {
                var next = Grow(_snapshot, _snapshot.Count + 1);
                Write(next, next.Count, id, classId, vector);
                Volatile.Write(ref _snapshot, next with { Count = next.Count + 1 });
            }
            catch
            {
                // Out of memory while growing: leave the index as it was.
                _rows.Remove(id);
                throw;
            }
        }
    }

    /// <summary>
    /// Adds many unit-length vectors at once (a bulk load): <paramref name="vectors"/> holds ids.Length rows of
    /// <see cref="Dimension"/> values, row-major. All or nothing: on any error nothing is added. Searches see the
    /// whole batch at once when it returns.
    /// </summary>
    public void AddRange(ReadOnlySpan<long> ids, ReadOnlySpan<int?> classIds, ReadOnlySpan<float> vectors)
    {
        if (classIds.Length != ids.Length)
        {
            throw new ArgumentException($"{ids.Length} ids but {classIds.Length} class ids.", nameof(classIds));
        }

        if (vectors.Length != (long)ids.Length * Dimension)
        {
            throw new ArgumentException($"{ids.Length} ids need {(long)ids.Length * Dimension} values ({Dimension} each), got {vectors.Length}.", nameof(vectors));
        }

        foreach (var classId in classIds)
        {
            VectorIndexLimits.CheckClass(classId, nameof(classIds));
        }

        lock (_writeLock)
        {
            var start = _snapshot.Count;
            for (var i = 0; i < ids.Length; i++)
            {
                if (!_rows.TryAdd(ids[i], start + i))
                {
                    for (var j = 0; j < i; j++)
                    {
                        _rows.Remove(ids[j]);
                    }

                    throw new ArgumentException($"Id {ids[i]} is already in the index (or twice in the batch).", nameof(ids));
                }
            }

            try
            {
                var next = Grow(_snapshot, start + ids.Length);
                for (var i = 0; i < ids.Length; i++)
                {
                    Write(next, start + i, ids[i], classIds[i], vectors.Slice(i * Dimension, Dimension));
                }

                Volatile.Write(ref _snapshot, next with { Count = start + ids.Length });
            }
            catch
            {
                foreach (var id in ids)
                {
                    _rows.Remove(id);
                }

                throw;
            }
        }
    }

    public IReadOnlyList<SearchHit> Search(ReadOnlySpan<float> query, int k, int? classId = null, long? excludeId = null)
    {
        VectorIndexLimits.CheckQuery(query, k, Dimension, classId);
        var s = Volatile.Read(ref _snapshot);
        if (s.Count == 0)
        {
            return [];
        }

        var filter = new Filter(classId, excludeId);
        var capacity = Math.Min(k, s.Count);
        var chunkRows = 1 << _chunkShift;
        var chunks = (s.Count + chunkRows - 1) / chunkRows;
        var threads = _maxDegreeOfParallelism;
        if (threads == 1 || chunks < 2 || (long)s.Count * Dimension < _parallelMinFloats)
        {
            var top = new TopK(capacity);
            Scan(query, s, 0, s.Count, filter, top);
            return top.ToHits();
        }

        // Each worker keeps its own heap over the chunks it takes; the heaps are merged once at the end.
        var q = query.ToArray();
        var merged = new TopK(capacity);
        Parallel.For(
            0,
            chunks,
            new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => new TopK(capacity),
            (chunk, _, local) =>
            {
                var first = chunk * chunkRows;
                Scan(q, s, first, Math.Min(s.Count, first + chunkRows), filter, local);
                return local;
            },
            local =>
            {
                lock (merged)
                {
                    merged.Merge(local);
                }
            });
        return merged.ToHits();
    }

    /// <summary>The stored floats segment by segment (used rows only), for the benchmark's sequential-read ceiling.</summary>
    internal IEnumerable<ReadOnlyMemory<float>> Segments()
    {
        var s = Volatile.Read(ref _snapshot);
        var rowsPerSegment = 1 << _segmentShift;
        for (var j = 0; j < s.Segments.Length && (j << _segmentShift) < s.Count; j++)
        {
            var rows = Math.Min(rowsPerSegment, s.Count - (j << _segmentShift));
            yield return s.Segments[j].Array.AsMemory(s.Segments[j].Offset, rows * Dimension);
        }
    }

    /// <summary>One snapshot's rows (ids and vectors), for all-pairs work such as <see cref="NearestOther"/>.</summary>
    internal IndexRows Rows()
    {
        var s = Volatile.Read(ref _snapshot);
        return new IndexRows([.. s.Segments.Select(g => (g.Array, g.Offset))], _segmentShift, s.Ids, s.Count, Dimension);
    }

    /// <summary>Rows per parallel work item (the benchmark's ceiling reads in the same chunks).</summary>
    internal int ChunkRows => 1 << _chunkShift;

    // Scores rows [first, end) in storage order; filtered rows are skipped before their vector is read.
    private void Scan(ReadOnlySpan<float> query, Snapshot s, int first, int end, Filter filter, TopK top)
    {
        var d = Dimension;
        var ids = s.Ids;
        var classes = s.Classes;
        var row = first;
        while (row < end)
        {
            var segmentIndex = row >> _segmentShift;
            var segment = s.Segments[segmentIndex];
            var segmentBase = segmentIndex << _segmentShift;
            var segmentEnd = Math.Min(end, segmentBase + (1 << _segmentShift));
            if (query.Length != d || segment.Offset + ((long)(segmentEnd - segmentBase) * d) > segment.Array.Length || segmentEnd > ids.Length)
            {
                throw new InvalidOperationException("A scan range lies outside its segment.");
            }

            // The range was checked once above, so rows are scored without per-row bounds checks.
            ref var q = ref MemoryMarshal.GetReference(query);
            ref var m = ref MemoryMarshal.GetArrayDataReference(segment.Array);
            var offset = (nuint)(segment.Offset + ((row - segmentBase) * d));
            var threshold = top.Threshold;
            for (; row < segmentEnd; row++, offset += (nuint)d)
            {
                if (filter.Active && !filter.Accepts(ids[row], classes[row]))
                {
                    continue;
                }

                var score = DotKernel.Score(ref q, ref m, offset, (nuint)d);

                // Equal to the threshold may still enter on a lower id, so >= here and the tie rule in Offer.
                if (score >= threshold)
                {
                    top.Offer(score, ids[row], classes[row]);
                    threshold = top.Threshold;
                }
            }
        }
    }

    private void Write(Snapshot s, int row, long id, int? classId, ReadOnlySpan<float> vector)
    {
        var segmentIndex = row >> _segmentShift;
        var segment = s.Segments[segmentIndex];
        vector.CopyTo(segment.Array.AsSpan(segment.Offset + ((row - (segmentIndex << _segmentShift)) * Dimension), Dimension));
        s.Ids[row] = id;
        s.Classes[row] = classId ?? VectorIndexLimits.NoClass;
    }

    // A snapshot with room for `rows` rows. Arrays that must grow are copied, never resized in place, so readers
    // holding the old snapshot keep a consistent view.
    private Snapshot Grow(Snapshot s, int rows)
    {
        var ids = s.Ids;
        var classes = s.Classes;
        if (ids.Length < rows)
        {
            var capacity = (int)Math.Min(Array.MaxLength, Math.Max(rows, Math.Max(16L, 2L * ids.Length)));
            ids = new long[capacity];
            classes = new int[capacity];
            s.Ids.AsSpan(0, s.Count).CopyTo(ids);
            s.Classes.AsSpan(0, s.Count).CopyTo(classes);
        }

        var rowsPerSegment = 1 << _segmentShift;
        var segmentsNeeded = ((rows - 1) >> _segmentShift) + 1;
        var segments = s.Segments;
        var lastRows = segments.Length == 0 ? 0 : segments[^1].Rows;
        var capacityRows = segments.Length == 0 ? 0 : ((segments.Length - 1) << _segmentShift) + lastRows;
        if (capacityRows < rows)
        {
            segments = new Segment[segmentsNeeded];
            s.Segments.CopyTo(segments, 0);
            for (var j = Math.Max(0, s.Segments.Length - 1); j < segmentsNeeded; j++)
            {
                var have = j < s.Segments.Length ? segments[j].Rows : 0;
                var need = Math.Min(rowsPerSegment, rows - (j << _segmentShift));
                if (have >= need)
                {
                    continue;
                }

                // Only the last segment may be partial; it doubles (from a small start) so tiny indexes stay tiny.
                var size = j < segmentsNeeded - 1 ? rowsPerSegment : Math.Min(rowsPerSegment, Math.Max(need, Math.Max(FirstSegmentRows, 2 * have)));
                var grown = NewSegment(size);
                if (have > 0)
                {
                    segments[j].Array.AsSpan(segments[j].Offset, have * Dimension).CopyTo(grown.Array.AsSpan(grown.Offset));
                }

                segments[j] = grown;
            }
        }

        return new Snapshot(segments, ids, classes, s.Count);
    }

    // Pinned, so the address (and the alignment offset computed from it) never changes.
    private Segment NewSegment(int rows)
    {
        var array = GC.AllocateUninitializedArray<float>((rows * Dimension) + (AlignmentBytes / sizeof(float)), pinned: true);
        var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
        var offset = (int)((AlignmentBytes - (address % AlignmentBytes)) % AlignmentBytes) / sizeof(float);
        return new Segment(array, offset, rows);
    }

    private sealed record Snapshot(Segment[] Segments, long[] Ids, int[] Classes, int Count);

    /// <summary>Room for <see cref="Rows"/> rows of floats in <see cref="Array"/>, from element <see cref="Offset"/>.</summary>
    private readonly record struct Segment(float[] Array, int Offset, int Rows);

    private readonly struct Filter(int? classId, long? excludeId)
    {
        private readonly bool _byClass = classId.HasValue;
        private readonly int _classId = classId ?? 0;
        private readonly bool _exclude = excludeId.HasValue;
        private readonly long _excludeId = excludeId ?? 0;

        public bool Active => _byClass || _exclude;

        public bool Accepts(long id, int classId) => (!_byClass || classId == _classId) && (!_exclude || id != _excludeId);
    }
}
