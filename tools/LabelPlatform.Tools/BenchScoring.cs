using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Hardware;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Search;

namespace LabelPlatform.Tools;

/// <summary>
/// `bench gemm`, `bench loo` and `bench search --batch 64`: the scoring kernel, leave-one-out evaluation and exact
/// batch search, each beside ceilings measured in the same run (the kernel alone, OpenBLAS sgemm when
/// libopenblas.so.0 is installed). Lines starting "figure" are what tools/peers/rounds.sh compares with the peers.
/// </summary>
internal static class BenchScoring
{
    public static IEnumerable<Command> Create()
    {
        yield return Gemm();
        yield return Loo();
        yield return Search();
    }

    private static Option<int> Threads() => new("--threads") { Description = "0: one per core", DefaultValueFactory = _ => 0 };

    private static Option<int> Repeats() => new("--repeats") { Description = "Timed repeats; the best is reported", DefaultValueFactory = _ => 3 };

    private static Command Gemm()
    {
        var rows = new Option<int>("--rows") { Description = "Query rows (m)", DefaultValueFactory = _ => 1024 };
        var vectors = new Option<int>("--vectors") { Description = "Vector rows (n)", DefaultValueFactory = _ => 9144 };
        var dimension = new Option<int>("--dimension") { DefaultValueFactory = _ => 1280 };
        var threads = Threads();
        var repeats = Repeats();
        var command = new Command("gemm", "GFLOP/s of the scoring kernel (both vector widths) beside OpenBLAS sgemm") { rows, vectors, dimension, threads, repeats };
        command.SetAction(parse =>
        {
            var (m, n, d, t, r) = (parse.GetValue(rows), parse.GetValue(vectors), parse.GetValue(dimension), ThreadsOf(parse.GetValue(threads)), parse.GetValue(repeats));
            Header($"gemm {m} x {n} x {d}, {t} threads");
            var a = RandomRows(m, d, 1);
            var b = RandomRows(n, d, 2);
            var c = new float[(long)m * n];
            var flop = 2.0 * m * n * d;
            foreach (var bits in new[] { GemmKernel.VectorBits, 256 }.Distinct())
            {
                Figure($"ours.gemm.{bits}bit.1thread", flop / Best(r, () => Ours(a, m, b, n, d, c, 1, bits)) / 1e9, "GFLOP/s");
                Figure($"ours.gemm.{bits}bit", flop / Best(r, () => Ours(a, m, b, n, d, c, t, bits)) / 1e9, "GFLOP/s");
            }

            if (Blas(t))
            {
                Figure("openblas.gemm", flop / Best(r, () => NativeBlas.Multiply(a, m, b, n, d, c, n)) / 1e9, "GFLOP/s");
            }

            return 0;
        });
        return command;
    }

    private static Command Loo()
    {
        var items = new Option<int>("--items") { Description = "Images (each is a query against all the others)", DefaultValueFactory = _ => 9144 };
        var dimension = new Option<int>("--dimension") { DefaultValueFactory = _ => 1280 };
        var classes = new Option<int>("--classes") { DefaultValueFactory = _ => 102 };
        var threads = Threads();
        var repeats = Repeats();
        var command = new Command("loo", "Leave-one-out all-pairs scoring and the full evaluation, beside the kernel alone and OpenBLAS") { items, dimension, classes, threads, repeats };
        command.SetAction(parse =>
        {
            var (n, d, t, r) = (parse.GetValue(items), parse.GetValue(dimension), ThreadsOf(parse.GetValue(threads)), parse.GetValue(repeats));
            Header($"leave-one-out {n} x {n} x {d}, {t} threads");
            var synthetic = SyntheticEmbeddings.Clustered(d, 2021, parse.GetValue(classes), 1f);
            var vectors = new float[(long)n * d];
            synthetic.Fill(0, vectors, n);
            var items2 = Enumerable.Range(0, n).Select(i => new EvaluationItem(i + 1, synthetic.ClassOf(i)!.Value + 1)).ToList();
            var data = new EvaluationData
            {
                Queries = items2,
                Candidates = items2,
                Classes = [.. Enumerable.Range(1, synthetic.Clusters).Select(id => new ClassInfo(id, $"class {id}", false))],
                QueryVectors = vectors,
                CandidateVectors = vectors,
                Dimension = d,
            };
            var flop = 2.0 * n * n * d;
            // The evaluator's default path (GemmKernel, the symmetric half mirrored); the rate counts the full n x n product.
            var scores = Best(r, () => Evaluator.ScoreOnly(data, Evaluator.DefaultQueryBlock, Evaluator.DefaultCandidateTile, t, nativeBlas: false));
            Figure("ours.loo.scores_s", scores, "s");
            Figure("ours.loo.scores_gflops", flop / scores / 1e9, "GFLOP/s");
            if (NativeBlas.Available)
            {
                Figure("ours.loo.scores_openblas_s", Best(r, () => Evaluator.ScoreOnly(data, Evaluator.DefaultQueryBlock, Evaluator.DefaultCandidateTile, t)), "s");
            }
            var settings = new EvaluationSettings([1, 5, 10, 20], 10, 2021) { MaxDegreeOfParallelism = t };
            Figure("ours.loo.evaluate_s", Best(r, () => Evaluator.Evaluate(data, settings)), "s");

            // Ceilings: the kernel alone over the same blocks (no sum, no ranking), and OpenBLAS on the whole product.
            var kernel = Best(r, () => KernelOnly(vectors, n, d, t));
            Figure("ceiling.loo.kernel_gflops", flop / kernel / 1e9, "GFLOP/s");
            if (Blas(t))
            {
                var c = new float[(long)n * n];
                Figure("openblas.loo.gflops", flop / Best(r, () => NativeBlas.Multiply(vectors, n, vectors, n, d, c, n)) / 1e9, "GFLOP/s");
            }

            return 0;
        });
        return command;
    }

    private static Command Search()
    {
        var sizes = new Option<string>("--sizes") { DefaultValueFactory = _ => "100000,1000000" };
        var batch = new Option<int>("--batch") { Description = "Queries per batch", DefaultValueFactory = _ => 64 };
        var queries = new Option<int>("--queries") { Description = "Single queries timed per size", DefaultValueFactory = _ => 100 };
        var dimension = new Option<int>("--dimension") { DefaultValueFactory = _ => 1280 };
        var k = new Option<int>("--k") { DefaultValueFactory = _ => 10 };
        var timedBatches = new Option<int>("--batches") { Description = "Timed batches per size (the best is reported)", DefaultValueFactory = _ => 4 };
        var threads = Threads();
        var command = new Command("search", "Exact top-k one query at a time and in batches, beside the kernel alone and OpenBLAS") { sizes, batch, queries, dimension, k, timedBatches, threads };
        command.SetAction(parse =>
        {
            var (b, q, d, topK, t) = (parse.GetValue(batch), parse.GetValue(queries), parse.GetValue(dimension), parse.GetValue(k), ThreadsOf(parse.GetValue(threads)));
            var data = SyntheticEmbeddings.Isotropic(d, 2026);
            var nb = Math.Max(1, parse.GetValue(timedBatches));
            var queryRows = RandomUnitRows(Math.Max(q, b * nb), d, 9);
            foreach (var n in parse.GetValue(sizes)!.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)))
            {
                var need = (long)n * d * sizeof(float);
                var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - Environment.WorkingSet;
                if (need > available * 0.8)
                {
                    Console.WriteLine($"skipping {n:N0}: {need / 1e9:0.0} GB needed, {available / 1e9:0.0} GB free");
                    continue;
                }

                var label = n >= 1_000_000 ? $"{n / 1_000_000}m" : $"{n / 1000}k";
                Header($"search {n:N0} x {d}, k={topK}, batches of {b}, {t} threads");
                using var index = Load(data, n, t);
                for (var i = 0; i < 3; i++)
                {
                    index.Search(queryRows[i], topK);
                }

                var watch = Stopwatch.StartNew();
                for (var i = 0; i < q; i++)
                {
                    index.Search(queryRows[i], topK);
                }

                Figure($"ours.search.{label}.single_ms", watch.Elapsed.TotalMilliseconds / q, "ms");
                var batches = Enumerable.Range(0, nb).Select(j => queryRows.Skip(j * b).Take(b).Select(v => new BatchQuery(v, topK)).ToList()).ToList();
                index.SearchBatch(batches[0]);
                var perBatch = Enumerable.Range(0, nb).Select(j => Time(() => index.SearchBatch(batches[j]))).Order().First();
                Figure($"ours.search.{label}.batch{b}_ms", perBatch * 1000, "ms");
                Figure($"ours.search.{label}.batch{b}_gflops", 2.0 * b * n * d / perBatch / 1e9, "GFLOP/s");
            }

            // Ceilings at the batch's shape on a 100k-row buffer (a rate, so one size serves both).
            var rows = RandomRows(100_000, d, 3);
            var packed = queryRows.Take(b).SelectMany(v => v).ToArray();
            var c = new float[(long)b * 100_000];
            var flop = 2.0 * b * 100_000 * d;
            Figure($"ceiling.search.batch{b}.kernel_gflops", flop / Best(3, () => Ours(packed, b, rows, 100_000, d, c, t, GemmKernel.VectorBits, byColumns: true)) / 1e9, "GFLOP/s");
            if (Blas(t))
            {
                Figure($"openblas.search.batch{b}.gflops", flop / Best(3, () => NativeBlas.Multiply(packed, b, rows, 100_000, d, c, 100_000)) / 1e9, "GFLOP/s");
            }

            return 0;
        });
        return command;
    }

    private sealed class LoadedIndex(ExactVectorIndex index) : IDisposable
    {
        public IReadOnlyList<SearchHit> Search(float[] query, int k) => index.Search(query, k);

        public IReadOnlyList<SearchHit>[] SearchBatch(List<BatchQuery> queries) => index.SearchBatch(queries);

        // Drops the only reference so the next size does not hold two indexes at once.
        public void Dispose()
        {
            index = null!;
            GC.Collect();
        }
    }

    private static LoadedIndex Load(SyntheticEmbeddings data, int n, int threads)
    {
        var index = new ExactVectorIndex(data.Dimension) { MaxDegreeOfParallelism = threads };
        const int chunk = 16_384;
        var buffer = new float[chunk * data.Dimension];
        for (var first = 0; first < n; first += chunk)
        {
            var count = Math.Min(chunk, n - first);
            data.Fill(first, buffer, count);
            index.AddRange([.. Enumerable.Range(first, count).Select(i => (long)i)], new int?[count], buffer.AsSpan(0, count * data.Dimension));
        }

        return new LoadedIndex(index);
    }

    // Blocks of 64 rows of a (or, byColumns, tiles of b) over `threads` workers, each writing its own part of c.
    private static void Ours(float[] a, int m, float[] b, int n, int d, float[] c, int threads, int bits, bool byColumns = false)
    {
        const int block = 64;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        if (byColumns)
        {
            var tiles = (n + 1023) / 1024;
            Parallel.For(0, tiles, parallel, j =>
            {
                var first = j * 1024;
                var rows = Math.Min(1024, n - first);
                GemmKernel.Multiply(a, m, b.AsSpan(first * d, rows * d), rows, d, c.AsSpan(first), n, bits);
            });
            return;
        }

        Parallel.For(0, (m + block - 1) / block, parallel, i =>
        {
            var first = i * block;
            var rows = Math.Min(block, m - first);
            GemmKernel.Multiply(a.AsSpan(first * d, rows * d), rows, b, n, d, c.AsSpan(first * n), n, bits);
        });
    }

    private static void KernelOnly(float[] vectors, int n, int d, int threads)
    {
        var block = Evaluator.DefaultQueryBlock;
        Parallel.For(0, (n + block - 1) / block, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[block * n], (i, _, c) =>
        {
            var first = i * block;
            var rows = Math.Min(block, n - first);
            GemmKernel.Multiply(vectors.AsSpan(first * d, rows * d), rows, vectors, n, d, c, n);
            return c;
        }, _ => { });
    }

    private static bool Blas(int threads)
    {
        if (!NativeBlas.Available)
        {
            Console.WriteLine("openblas: libopenblas.so.0 not found (apt-get install libopenblas0-pthread), column skipped");
            return false;
        }

        NativeBlas.SetThreads(threads);
        return true;
    }

    private static int ThreadsOf(int threads) => threads > 0 ? threads : Environment.ProcessorCount;

    private static void Header(string what) => Console.WriteLine($"# {what}; {GemmKernel.VectorBits}-bit kernel; {CpuInfo.Current.Describe()}");

    private static void Figure(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure {name} {value:0.###} {unit}"));

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }

    private static double Best(int repeats, Action action)
    {
        action();
        return Enumerable.Range(0, Math.Max(1, repeats)).Select(_ => Time(action)).Min();
    }

    private static double Best<T>(int repeats, Func<T> action) => Best(repeats, () => { _ = action(); });

    private static float[] RandomRows(int rows, int d, int seed)
    {
        var random = new Random(seed);
        var values = new float[(long)rows * d];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextSingle() * 2) - 1;
        }

        return values;
    }

    private static float[][] RandomUnitRows(int rows, int d, ulong seed)
    {
        var data = SyntheticEmbeddings.Isotropic(d, seed);
        return [.. Enumerable.Range(0, rows).Select(i => data.Row(i))];
    }
}
