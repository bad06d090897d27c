using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Cloud.Unum.USearch;
using LabelPlatform.Core.Search;

namespace LabelPlatform.Tools;

/// <summary>
/// `bench ann`: USearch HNSW (through AnnVectorIndex) build time, queries per second and recall@k over an ef sweep,
/// on clustered synthetic vectors that it also writes to --data, so tools/peers/hnswlib_ann.py builds hnswlib on
/// the very same vectors, queries and exact answers at the same M, ef_construction and ef.
/// </summary>
internal static class BenchAnn
{
    public static Command Create()
    {
        var items = new Option<int>("--items") { DefaultValueFactory = _ => 100_000 };
        var dimension = new Option<int>("--dimension") { DefaultValueFactory = _ => 1280 };
        var queries = new Option<int>("--queries") { DefaultValueFactory = _ => 500 };
        var m = new Option<int>("--m") { Description = "Connectivity (HNSW M)", DefaultValueFactory = _ => 16 };
        var efAdd = new Option<int>("--ef-add") { Description = "expansion_add (efConstruction)", DefaultValueFactory = _ => 128 };
        var efs = new Option<string>("--ef") { Description = "expansion_search values (ef)", DefaultValueFactory = _ => "32,64,128,256" };
        var precision = new Option<string>("--precision") { Description = "f32 or f16 storage", DefaultValueFactory = _ => "f32" };
        var threads = new Option<int>("--threads") { Description = "0: one per core", DefaultValueFactory = _ => 0 };
        var data = new Option<string>("--data") { Description = "Where to write vectors, queries and exact top-k for the peer", DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "labelplatform-ann.f32") };
        var command = new Command("ann", "USearch HNSW build time, QPS and recall@10 beside exact search; writes the data for the hnswlib peer") { items, dimension, queries, m, efAdd, efs, precision, threads, data };
        command.SetAction(parse =>
        {
            var (n, d, q, t) = (parse.GetValue(items), parse.GetValue(dimension), parse.GetValue(queries), parse.GetValue(threads) is > 0 and var th ? th : Environment.ProcessorCount);
            const int k = 10;
            var synthetic = SyntheticEmbeddings.Clustered(d, 2027, 1000, 1f);
            var vectors = new float[(long)n * d];
            synthetic.Fill(0, vectors, n);
            var queryRows = SyntheticEmbeddings.Clustered(d, 2027, 1000, 1f);
            var queryVectors = new float[(long)q * d];
            queryRows.Fill(n, queryVectors, q);

            // Exact answers by the exact index (ids are row numbers).
            var exact = new ExactVectorIndex(d) { MaxDegreeOfParallelism = t };
            exact.AddRange([.. Enumerable.Range(0, n).Select(i => (long)i)], new int?[n], vectors);
            var truth = Enumerable.Range(0, q).Select(i => exact.Search(queryVectors.AsSpan(i * d, d), k)).ToList();
            Write(parse.GetValue(data)!, n, q, d, k, vectors, queryVectors, truth);

            var options = new AnnIndexOptions
            {
                Connectivity = parse.GetValue(m),
                ExpansionAdd = parse.GetValue(efAdd),
                Threads = t,
                Quantization = parse.GetValue(precision) == "f16" ? ScalarKind.Float16 : ScalarKind.Float32,
            };
            Console.WriteLine($"# ann {n:N0} x {d}, M={options.Connectivity}, ef_add={options.ExpansionAdd}, {options.Quantization}, {t} threads");
            using var index = new AnnVectorIndex(d, options);
            var watch = Stopwatch.StartNew();
            index.AddRange([.. Enumerable.Range(0, n).Select(i => (long)i)], new int?[n], vectors);
            Figure("ours.ann.build_s", watch.Elapsed.TotalSeconds, "s");
            Console.WriteLine($"# USearch kernels: {index.HardwareAcceleration}");
            foreach (var ef in parse.GetValue(efs)!.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)))
            {
                index.ExpansionSearch = ef;
                var found = 0;
                var results = new IReadOnlyList<SearchHit>[q];
                index.Search(queryVectors.AsSpan(0, d), k);
                watch.Restart();
                for (var i = 0; i < q; i++)
                {
                    results[i] = index.Search(queryVectors.AsSpan(i * d, d), k);
                }

                var seconds = watch.Elapsed.TotalSeconds;
                for (var i = 0; i < q; i++)
                {
                    var expected = truth[i].Select(h => h.Id).ToHashSet();
                    found += results[i].Count(h => expected.Contains(h.Id));
                }

                Figure($"ours.ann.ef{ef}.qps", q / seconds, "q/s");
                Figure($"ours.ann.ef{ef}.recall", found / (double)(q * k), "recall@10");
            }

            return 0;
        });
        return command;
    }

    // Header (int32 n, q, d, k), the n x d vectors, the q x d queries, the q x k exact ids (int32), little-endian.
    private static void Write(string path, int n, int q, int d, int k, float[] vectors, float[] queries, List<IReadOnlyList<SearchHit>> truth)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(n);
        writer.Write(q);
        writer.Write(d);
        writer.Write(k);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors.AsSpan()));
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(queries.AsSpan()));
        foreach (var hits in truth)
        {
            for (var j = 0; j < k; j++)
            {
                writer.Write(j < hits.Count ? (int)hits[j].Id : -1);
            }
        }
    }

    private static void Figure(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"figure {name} {value:0.###} {unit}"));
}
