using System.Collections.Concurrent;
using Cloud.Unum.USearch;

namespace LabelPlatform.Core.Search;

/// <summary>
/// HNSW build and search parameters. Defaults from SearchBenchmark on the 2-core VM, 1280-d: M=32 built about 4x
/// slower than M=16 at 200k; ef_add=64 built 1.6x faster than 128 but needed twice the ef_search for the same recall.
/// </summary>
public sealed record AnnIndexOptions
{
    /// <summary>Graph edges per node (HNSW "M"): more is better recall, more memory and slower adds.</summary>
    public int Connectivity { get; init; } = 16;

    /// <summary>Candidate list while inserting (HNSW "efConstruction"): more is a better graph and slower adds.</summary>
    public int ExpansionAdd { get; init; } = 128;

    /// <summary>
    /// Candidate list while searching (HNSW "ef"); at least k is used. Also settable on a built index. 256 is the
    /// smallest value that reached recall@10 >= 0.95 at 1M x 1280 (clustered synthetic data; 0.85 at 128).
    /// </summary>
    public int ExpansionSearch { get; init; } = 256;

    /// <summary>Native calls allowed at once (USearch keeps per-thread scratch for this many); also the bulk-add threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>With a class filter, the first native search asks for k times this many neighbours (see <see cref="AnnVectorIndex.Search"/>).</summary>
    public int FilterOverfetch { get; init; } = 4;

    /// <summary>
    /// How USearch stores the vectors: Float32 (exact copies), or Float16 (half the memory and memory traffic, scores
    /// rounded to about 3 decimal digits). Adds and queries are float32 either way.
    /// </summary>
    public ScalarKind Quantization { get; init; } = ScalarKind.Float32;
}

/// <summary>
/// Approximate cosine search on a USearch HNSW graph (inner-product metric on unit vectors, float32 storage by default).
/// </summary>
/// <remarks>
/// <para>Vectors must be L2-normalised; Score = 1 - the inner-product distance USearch reports = the dot product.</para>
/// <para>Filters are applied after the graph search: with <c>excludeId</c> one extra neighbour is fetched; with a
/// class filter k x <see cref="AnnIndexOptions.FilterOverfetch"/> are fetched, and while fewer than k of them match,
/// the fetch grows 4x (up to the whole index). A rare class therefore costs a wide graph search; for very rare
/// classes an exact scan of that class is the cheaper and exact answer.</para>
/// <para>Concurrency: adds and searches run concurrently (USearch locks graph nodes itself); a semaphore keeps native
/// calls to <see cref="AnnIndexOptions.Threads"/> at once, which USearch requires, and a reader-writer lock lets
/// capacity grow (doubling) only while no call is inside the native index.</para>
/// </remarks>
public sealed class AnnVectorIndex : IVectorIndex, IDisposable
{
    private readonly USearchHandle _index;
    private readonly AnnIndexOptions _options;
    private readonly ReaderWriterLockSlim _resize = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<long, int> _classes = new();
    private long _claimed;
    private long _capacity;
    private int _count;
    private int _expansionSearch;
    private bool _disposed;
    private int _disposeStarted;

    public AnnVectorIndex(int dimension, AnnIndexOptions? options = null)
    {
        VectorIndexLimits.CheckDimension(dimension);
        _options = options ?? new AnnIndexOptions();
        if (_options.Connectivity < 2 || _options.ExpansionAdd < 1 || _options.ExpansionSearch < 1 || _options.Threads < 1 || _options.FilterOverfetch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options, "Connectivity must be at least 2 and the other options at least 1.");
        }

        if (_options.Quantization is not (ScalarKind.Float32 or ScalarKind.Float16))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.Quantization, "Vectors are stored as Float32 or Float16.");
        }

        Dimension = dimension;
        _expansionSearch = _options.ExpansionSearch;
        _index = NativeMethods.Create(new IndexOptions(
            MetricKind.Ip,
            IntPtr.Zero,
            _options.Quantization,
            (ulong)dimension,
            (ulong)_options.Connectivity,
            (ulong)_options.ExpansionAdd,
            (ulong)_options.ExpansionSearch,
            multi: false));
        _slots = new SemaphoreSlim(_options.Threads, _options.Threads);
        NativeMethods.SetThreads(_index, _options.Threads);
    }

    public int Dimension { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Candidate list size used by searches; raise it for recall, lower it for speed (no rebuild needed).</summary>
    public int ExpansionSearch
    {
        get => _expansionSearch;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _resize.EnterWriteLock();
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                NativeMethods.SetExpansionSearch(_index, value);
                _expansionSearch = value;
            }
            finally
            {
                _resize.ExitWriteLock();
            }
        }
    }

    /// <summary>Bytes USearch reports for the vectors and the graph.</summary>
    public long MemoryBytes => Native(() => NativeMethods.MemoryUsage(_index));

    /// <summary>The SIMD kernel set USearch picked on this machine (e.g. "haswell", "genoa", "serial").</summary>
    public string HardwareAcceleration => Native(() => NativeMethods.HardwareAcceleration(_index));

    public bool Contains(long id) => _classes.ContainsKey(id);

    /// <summary>Adds one unit-length vector; it is searchable when this returns.</summary>
    /// <exception cref="ArgumentException">Wrong length, a reserved class id, or an id already stored.</exception>
    public void Add(long id, int? classId, ReadOnlySpan<float> vector)
    {
        VectorIndexLimits.CheckVector(vector, Dimension, nameof(vector));
        VectorIndexLimits.CheckClass(classId, nameof(classId));
        if (!_classes.TryAdd(id, classId ?? VectorIndexLimits.NoClass))
        {
            throw new ArgumentException($"Id {id} is already in the index.", nameof(id));
        }

        try
        {
            Claim(1);
            AddNative(id, vector);
        }
        catch
        {
            _classes.TryRemove(id, out _);
            throw;
        }
    }

    /// <summary>
    /// Adds ids.Length unit-length vectors (row-major in <paramref name="vectors"/>) on up to
    /// <see cref="AnnIndexOptions.Threads"/> threads. Ids are checked before anything is added; a native failure part
    /// way (out of memory) leaves the vectors added so far in place and searchable.
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

        for (var i = 0; i < ids.Length; i++)
        {
            VectorIndexLimits.CheckClass(classIds[i], nameof(classIds));
            if (!_classes.TryAdd(ids[i], classIds[i] ?? VectorIndexLimits.NoClass))
            {
                for (var j = 0; j < i; j++)
                {
                    _classes.TryRemove(ids[j], out _);
                }

                throw new ArgumentException($"Id {ids[i]} is already in the index (or twice in the batch).", nameof(ids));
            }
        }

        // Parallel.For cannot capture spans; a bulk load is one copy of the batch, not of the index.
        var keys = ids.ToArray();
        var rows = vectors.ToArray();
        var added = new bool[keys.Length];
        try
        {
            Claim(keys.Length);
            Parallel.For(0, keys.Length, new ParallelOptions { MaxDegreeOfParallelism = _options.Threads }, i =>
            {
                AddNative(keys[i], rows.AsSpan(i * Dimension, Dimension));
                added[i] = true;
            });
        }
        catch
        {
            for (var i = 0; i < keys.Length; i++)
            {
                if (!added[i])
                {
                    _classes.TryRemove(keys[i], out _);
                }
            }

            throw;
        }
    }

    public IReadOnlyList<SearchHit> Search(ReadOnlySpan<float> query, int k, int? classId = null, long? excludeId = null)
    {
        VectorIndexLimits.CheckQuery(query, k, Dimension, classId);
        var hits = new List<SearchHit>(k);
        var extra = excludeId.HasValue ? 1 : 0;
        var wanted = classId.HasValue ? (long)k * _options.FilterOverfetch + extra : k + extra;
        while (true)
        {
            var count = Count;
            if (count == 0)
            {
                return [];
            }

            var fetch = (int)Math.Min(wanted, count);
            var keys = new ulong[fetch];
            var distances = new float[fetch];
            var found = Native(query, keys, distances);
            hits.Clear();
            for (var i = 0; i < found; i++)
            {
                var id = (long)keys[i];
                if (id == excludeId || !_classes.TryGetValue(id, out var stored) || (classId.HasValue && stored != classId.Value))
                {
                    continue;
                }

                hits.Add(new SearchHit(id, 1f - distances[i], stored == VectorIndexLimits.NoClass ? null : stored));
            }

            // Enough matches, or nothing more to fetch: the graph already returned everything it could reach.
            if (hits.Count >= k || fetch >= count || found < fetch)
            {
                break;
            }

            wanted = Math.Min((long)count, wanted * 4);
        }

        // USearch orders by distance only; re-sort so equal scores come by id, as in the exact index.
        hits.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Id.CompareTo(b.Id));
        return hits.Count > k ? hits.GetRange(0, k) : hits;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            return;
        }

        // Waits for calls inside the native index to finish; later calls see _disposed (or the disposed lock) and throw.
        _resize.EnterWriteLock();
        try
        {
            _disposed = true;
            _index.Dispose();
        }
        finally
        {
            _resize.ExitWriteLock();
        }

        _slots.Dispose();
        _resize.Dispose();
    }

    // Reserves room for n more vectors, doubling the native capacity when it runs out. Reserving reallocates the
    // node table, so it waits until no add or search is inside the native index.
    private void Claim(int n)
    {
        var needed = Interlocked.Add(ref _claimed, n);
        if (needed <= Volatile.Read(ref _capacity))
        {
            return;
        }

        _resize.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (needed > _capacity)
            {
                var capacity = Math.Max(needed, Math.Max(1024, 2 * _capacity));
                NativeMethods.Reserve(_index, capacity);
                Volatile.Write(ref _capacity, capacity);
            }
        }
        finally
        {
            _resize.ExitWriteLock();
        }
    }

    private void AddNative(long id, ReadOnlySpan<float> vector)
    {
        _resize.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _slots.Wait();
            try
            {
                NativeMethods.Add(_index, unchecked((ulong)id), vector);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            _resize.ExitReadLock();
        }

        Interlocked.Increment(ref _count);
    }

    private int Native(ReadOnlySpan<float> query, ulong[] keys, float[] distances)
    {
        _resize.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _slots.Wait();
            try
            {
                return NativeMethods.Search(_index, query, keys, distances);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            _resize.ExitReadLock();
        }
    }

    private T Native<T>(Func<T> call)
    {
        _resize.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return call();
        }
        finally
        {
            _resize.ExitReadLock();
        }
    }
}
