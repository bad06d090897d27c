using System.Diagnostics;
using System.Numerics.Tensors;

namespace LabelPlatform.Core.Search;

/// <summary>One measured figure, ready for a table row or a JSON field.</summary>
public sealed record BenchmarkFigure(string Name, double Value, string Unit);

/// <summary>What <see cref="SearchBenchmark.Run"/> measures.</summary>
public sealed record SearchBenchmarkOptions
{
    public IReadOnlyList<int> Sizes { get; init; } = [10_000, 100_000, 1_000_000];

    public int Dimension { get; init; } = 1280;

    /// <summary>Timed queries per size; sizes of 1M and more use at most <see cref="MaxQueriesAtMillion"/>.</summary>
    public int Queries { get; init; } = 200;

    public int MaxQueriesAtMillion { get; init; } = 100;

    public int K { get; init; } = 10;

    /// <summary>Build an HNSW index at the largest size and compare it with the exact one.</summary>
    public bool Ann { get; init; } = true;

    public AnnIndexOptions AnnOptions { get; init; } = new();

    /// <summary>expansion_search values tried on the built ANN index (recall against speed).</summary>
    public IReadOnlyList<int> ExpansionSearchSweep { get; init; } = [16, 32, 64, 128, 256, 512];

    /// <summary>The recall the ANN summary picks the fastest setting for.</summary>
    public double TargetRecall { get; init; } = 0.95;

    /// <summary>"isotropic" or "clustered" (see <see cref="SyntheticEmbeddings"/>).</summary>
    public string Data { get; init; } = "clustered";

    public int Clusters { get; init; } = 1000;

    public float Spread { get; init; } = 1f;

    public ulong Seed { get; init; } = 42;
}

/// <summary>
/// Speed of the exact scan against the machine's memory bandwidth, and of the HNSW index against the exact scan.
/// Figures only: speed targets live here, never in tests.
/// </summary>
/// <remarks>
/// Vectors are generated and loaded in 8192-row chunks, so the process holds about one copy of the data (per index).
/// The bandwidth ceiling is a plain sequential read of the same vectors (TensorPrimitives.Sum over the index's own
/// segments, in the same chunks and with the same threading as the search), timed alternately with the searches so
/// a noisy neighbour on the VM slows both alike.
/// </remarks>
public static class SearchBenchmark
{
    private const int LoadChunkRows = 8192;

    public static IReadOnlyList<BenchmarkFigure> Run(SearchBenchmarkOptions options, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Sizes.Count == 0 || options.Sizes.Any(n => n < 1) || options.Queries < 1)
        {
            throw new ArgumentException("Sizes and the query count must be positive.", nameof(options));
        }

        progress ??= TextWriter.Null;
        var data = options.Data switch
        {
            "isotropic" => SyntheticEmbeddings.Isotropic(options.Dimension, options.Seed),
            "clustered" => SyntheticEmbeddings.Clustered(options.Dimension, options.Seed, options.Clusters, options.Spread),
            _ => throw new ArgumentException($"Unknown data kind '{options.Data}' (isotropic or clustered).", nameof(options)),
        };

        var figures = new List<BenchmarkFigure>
        {
            new("cores", Environment.ProcessorCount, "count"),
            new("dimension", options.Dimension, "floats"),
            new("simd width", System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 512 : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? 256 : 128, "bits"),
        };
        var sizes = options.Sizes.Order().ToList();
        var largest = sizes[^1];
        foreach (var n in sizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var queryCount = n >= 1_000_000 ? Math.Min(options.Queries, options.MaxQueriesAtMillion) : options.Queries;

            // Queries come from the same distribution but rows the index never holds.
            var queries = Enumerable.Range(0, queryCount).Select(i => data.Row((1L << 40) + i)).ToList();
            var exact = BuildExact(data, n, figures, progress, cancellationToken);
            var exactQps = MeasureExact(exact, queries, options.K, figures, progress, cancellationToken);
            if (options.Ann && n == largest)
            {
                MeasureAnn(exact, exactQps, data, n, queries, options, figures, progress, cancellationToken);
            }
        }

        return figures;
    }

    private static ExactVectorIndex BuildExact(SyntheticEmbeddings data, int n, List<BenchmarkFigure> figures, TextWriter progress, CancellationToken cancellationToken)
    {
        var label = Label(n);
        progress.WriteLine($"exact {label}: generating and loading {n} x {data.Dimension}");
        var gcBefore = GC.GetTotalMemory(forceFullCollection: true);
        var workingSetBefore = Environment.WorkingSet;
        var index = new ExactVectorIndex(data.Dimension);
        var load = Stopwatch.StartNew();
        load.Stop();
        ForEachChunk(data, n, (first, ids, classes, rows) =>
        {
            load.Start();
            index.AddRange(ids, classes, rows);
            load.Stop();
        }, cancellationToken);

        var gcDelta = GC.GetTotalMemory(forceFullCollection: true) - gcBefore;
        var workingSetDelta = Environment.WorkingSet - workingSetBefore;
        figures.Add(new($"exact {label} load (AddRange, generation excluded)", Round(n / load.Elapsed.TotalSeconds, 0), "vectors/s"));
        figures.Add(new($"exact {label} index memory", Megabytes(index.MemoryBytes), "MB"));
        figures.Add(new($"exact {label} raw vector bytes", Megabytes((long)n * data.Dimension * sizeof(float)), "MB"));
        figures.Add(new($"exact {label} GC heap delta", Megabytes(gcDelta), "MB"));
        figures.Add(new($"exact {label} working set delta", Megabytes(workingSetDelta), "MB"));
        return index;
    }

    /// <returns>The exact index's best queries/s (single-threaded or parallel, whichever measured faster).</returns>
    private static double MeasureExact(ExactVectorIndex index, List<float[]> queries, int k, List<BenchmarkFigure> figures, TextWriter progress, CancellationToken cancellationToken)
    {
        var label = Label(index.Count);
        var bytes = (double)index.Count * index.Dimension * sizeof(float);
        var best = 0.0;
        var chunks = ReadChunks(index);
        var configured = index.MaxDegreeOfParallelism;
        foreach (var threads in new[] { 1, Environment.ProcessorCount }.Distinct())
        {
            var mode = threads == 1 ? "single" : $"parallel x{threads}";
            index.MaxDegreeOfParallelism = threads;
            var parallel = threads > 1 && (long)index.Count * index.Dimension >= ExactVectorIndex.ParallelMinFloats;
            for (var i = 0; i < 3; i++)
            {
                index.Search(queries[i % queries.Count], k);
                ReadAll(chunks, parallel);
            }

            var search = new double[queries.Count];
            var read = new double[queries.Count];
            var clock = new Stopwatch();
            for (var i = 0; i < queries.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                clock.Restart();
                var hits = index.Search(queries[i], k);
                search[i] = clock.Elapsed.TotalSeconds;
                if (hits.Count != Math.Min(k, index.Count))
                {
                    throw new InvalidOperationException("The exact index returned too few results.");
                }

                clock.Restart();
                ReadAll(chunks, parallel);
                read[i] = clock.Elapsed.TotalSeconds;
            }

            var searchP50 = Percentile(search, 0.50);
            var readP50 = Percentile(read, 0.50);
            var qps = queries.Count / search.Sum();
            best = Math.Max(best, qps);
            progress.WriteLine($"exact {label} {mode}: p50 {searchP50 * 1000:F2} ms, read p50 {readP50 * 1000:F2} ms");
            figures.Add(new($"exact {label} {mode} top-{k} p50", Round(searchP50 * 1000, 3), "ms"));
            figures.Add(new($"exact {label} {mode} top-{k} p99", Round(Percentile(search, 0.99) * 1000, 3), "ms"));
            figures.Add(new($"exact {label} {mode} queries/s", Round(qps, 1), "q/s"));
            figures.Add(new($"exact {label} {mode} scan rate (p50)", Round(bytes / searchP50 / 1e9, 2), "GB/s"));
            figures.Add(new($"exact {label} {mode} sequential read (p50)", Round(bytes / readP50 / 1e9, 2), "GB/s"));
            figures.Add(new($"exact {label} {mode} scan / read", Round(readP50 / searchP50, 3), "ratio"));
            figures.Add(new($"exact {label} {mode} queries timed", queries.Count, "count"));
        }

        index.MaxDegreeOfParallelism = configured;
        return best;
    }

    private static void MeasureAnn(ExactVectorIndex exact, double exactQps, SyntheticEmbeddings data, int n, List<float[]> queries, SearchBenchmarkOptions options, List<BenchmarkFigure> figures, TextWriter progress, CancellationToken cancellationToken)
    {
        var label = Label(n);
        var ann = options.AnnOptions;
        progress.WriteLine($"ann {label}: building HNSW (M={ann.Connectivity}, ef_add={ann.ExpansionAdd}, {ann.Quantization}) on {ann.Threads} threads");
        var workingSetBefore = Environment.WorkingSet;
        using var index = new AnnVectorIndex(data.Dimension, ann);
        var build = new Stopwatch();
        var lastReport = Stopwatch.StartNew();
        ForEachChunk(data, n, (first, ids, classes, rows) =>
        {
            build.Start();
            index.AddRange(ids, classes, rows);
            build.Stop();
            if (lastReport.Elapsed.TotalSeconds > 30)
            {
                progress.WriteLine($"ann {label}: {first + ids.Length} added, {build.Elapsed.TotalSeconds:F0} s");
                lastReport.Restart();
            }
        }, cancellationToken);

        figures.Add(new($"ann {label} connectivity (M)", ann.Connectivity, "edges"));
        figures.Add(new($"ann {label} expansion_add", ann.ExpansionAdd, "candidates"));
        figures.Add(new($"ann {label} stored as", ann.Quantization == Cloud.Unum.USearch.ScalarKind.Float16 ? 16 : 32, "bit floats"));
        figures.Add(new($"ann {label} build", Round(build.Elapsed.TotalSeconds, 1), "s"));
        figures.Add(new($"ann {label} build rate ({ann.Threads} threads)", Round(n / build.Elapsed.TotalSeconds, 0), "vectors/s"));
        figures.Add(new($"ann {label} USearch memory_usage (allocated arenas)", Megabytes(index.MemoryBytes), "MB"));
        figures.Add(new($"ann {label} working set delta (resident)", Megabytes(Environment.WorkingSet - workingSetBefore), "MB"));
        figures.Add(new($"ann {label} USearch kernels", 0, index.HardwareAcceleration));

        var k = options.K;
        var truth = queries.Select(q => exact.Search(q, k)).ToList();
        figures.Add(new($"ann {label} recall queries", queries.Count, "count"));
        figures.Add(new($"ann {label} exact queries/s (best mode)", Round(exactQps, 1), "q/s"));

        // Recall once per setting; speed over three rounds that visit every setting in turn, so a slow spell on the VM
        // lands on one round of each setting rather than on one setting, and the median round is reported.
        var sweep = options.ExpansionSearchSweep;
        var recalls = new double[sweep.Count];
        var rounds = sweep.Select(_ => new List<double>()).ToArray();
        var latencies = sweep.Select(_ => new List<double>()).ToArray();
        for (var s = 0; s < sweep.Count; s++)
        {
            index.ExpansionSearch = sweep[s];
            recalls[s] = RecallMeter.RecallAtK(truth, index, queries, k);
        }

        var clock = new Stopwatch();
        for (var round = 0; round < 3; round++)
        {
            for (var s = 0; s < sweep.Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                index.ExpansionSearch = sweep[s];
                var roundTime = 0.0;
                foreach (var query in queries)
                {
                    clock.Restart();
                    index.Search(query, k);
                    var seconds = clock.Elapsed.TotalSeconds;
                    roundTime += seconds;
                    latencies[s].Add(seconds);
                }

                rounds[s].Add(roundTime);
            }
        }

        double? chosenSpeedup = null;
        int? chosenExpansion = null;
        for (var s = 0; s < sweep.Count; s++)
        {
            var expansion = sweep[s];
            var qps = queries.Count / Percentile([.. rounds[s]], 0.5);
            var speedup = qps / exactQps;
            progress.WriteLine($"ann {label} ef={expansion}: recall@{k} {recalls[s]:F4}, {qps:F0} q/s, {speedup:F0}x exact");
            figures.Add(new($"ann {label} ef={expansion} recall@{k}", Round(recalls[s], 4), "recall"));
            figures.Add(new($"ann {label} ef={expansion} queries/s (1 thread)", Round(qps, 0), "q/s"));
            figures.Add(new($"ann {label} ef={expansion} p50", Round(Percentile([.. latencies[s]], 0.50) * 1000, 3), "ms"));
            figures.Add(new($"ann {label} ef={expansion} p99", Round(Percentile([.. latencies[s]], 0.99) * 1000, 3), "ms"));
            figures.Add(new($"ann {label} ef={expansion} speed-up vs exact", Round(speedup, 1), "x"));
            if (chosenExpansion is null && recalls[s] >= options.TargetRecall)
            {
                chosenExpansion = expansion;
                chosenSpeedup = speedup;
            }
        }

        figures.Add(new($"ann {label} smallest ef with recall@{k} >= {options.TargetRecall}", chosenExpansion ?? 0, chosenExpansion is null ? "none reached" : "candidates"));
        figures.Add(new($"ann {label} speed-up at that ef", Round(chosenSpeedup ?? 0, 1), "x"));
    }

    private static void ForEachChunk(SyntheticEmbeddings data, int n, Action<long, long[], int?[], float[]> load, CancellationToken cancellationToken)
    {
        var rows = new float[LoadChunkRows * data.Dimension];
        for (long first = 0; first < n; first += LoadChunkRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = (int)Math.Min(LoadChunkRows, n - first);
            data.Fill(first, rows, count);
            var ids = new long[count];
            var classes = new int?[count];
            for (var i = 0; i < count; i++)
            {
                ids[i] = first + i;
                classes[i] = data.ClassOf(first + i);
            }

            load(first, ids, classes, count == LoadChunkRows ? rows : rows[..(count * data.Dimension)]);
        }
    }

    // The bandwidth ceiling: sum every stored float, chunked and threaded as the search is.
    private static ReadOnlyMemory<float>[] ReadChunks(ExactVectorIndex index)
    {
        var chunkFloats = index.ChunkRows * index.Dimension;
        return index.Segments().SelectMany(segment => Enumerable.Range(0, (segment.Length + chunkFloats - 1) / chunkFloats)
            .Select(c => segment.Slice(c * chunkFloats, Math.Min(chunkFloats, segment.Length - (c * chunkFloats))))).ToArray();
    }

    private static float ReadAll(ReadOnlyMemory<float>[] chunks, bool parallel)
    {
        if (!parallel)
        {
            var sum = 0f;
            foreach (var chunk in chunks)
            {
                sum += TensorPrimitives.Sum(chunk.Span);
            }

            return sum;
        }

        var total = 0f;
        var gate = new Lock();
        Parallel.For(0, chunks.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => 0f, (c, _, local) => local + TensorPrimitives.Sum(chunks[c].Span), local =>
        {
            lock (gate)
            {
                total += local;
            }
        });
        return total;
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static string Label(int n) => n switch
    {
        >= 1_000_000 when n % 1_000_000 == 0 => $"{n / 1_000_000}M",
        >= 1_000 when n % 1_000 == 0 => $"{n / 1_000}k",
        _ => n.ToString(),
    };

    private static double Megabytes(long bytes) => Math.Round(bytes / 1048576.0, 1);

    private static double Round(double value, int digits) => Math.Round(value, digits);
}
