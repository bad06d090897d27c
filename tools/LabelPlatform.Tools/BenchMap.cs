using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LabelPlatform.Core.Hardware;
using LabelPlatform.Core.Maps.Umap;
using LabelPlatform.Core.Search;

namespace LabelPlatform.Tools;

/// <summary>
/// `bench map --points N`: the embedding map job's compute on synthetic clustered 1280-d unit vectors (a stand-in for
/// a labelled image set's embeddings), timed per phase, with the map's quality: trustworthiness over a sample of
/// points (against the PCA-reduced vectors the kNN graph used) and the share of each sampled point's 10 nearest 2-d
/// neighbours that come from its own cluster.
/// </summary>
internal static class BenchMap
{
    public static Command Create()
    {
        var points = new Option<int>("--points") { DefaultValueFactory = _ => 100_000 };
        var dimension = new Option<int>("--dimension") { DefaultValueFactory = _ => 1280 };
        var clusters = new Option<int>("--clusters") { DefaultValueFactory = _ => 100 };
        var spread = new Option<float>("--spread") { Description = "Noise norm around each cluster centre (cosine within a cluster ~ 1 / (1 + spread²))", DefaultValueFactory = _ => 1f };
        var threads = new Option<int>("--threads") { Description = "0: one per core", DefaultValueFactory = _ => 0 };
        var sample = new Option<int>("--sample") { Description = "Points the quality figures are measured on", DefaultValueFactory = _ => 500 };
        var command = new Command("map", "Time the embedding map (UMAP) of synthetic clustered vectors per phase") { points, dimension, clusters, spread, threads, sample };
        command.SetAction(parse =>
        {
            var (n, d) = (parse.GetValue(points), parse.GetValue(dimension));
            var synthetic = SyntheticEmbeddings.Clustered(d, 2026, parse.GetValue(clusters), parse.GetValue(spread));
            var data = new float[(long)n * d];
            synthetic.Fill(0, data, n);
            var labels = Enumerable.Range(0, n).Select(i => synthetic.ClassOf(i)!.Value).ToArray();
            var parameters = new UmapParameters { MaxDegreeOfParallelism = parse.GetValue(threads) > 0 ? parse.GetValue(threads) : Environment.ProcessorCount };
            Console.WriteLine($"{n:N0} synthetic {d}-d vectors, {synthetic.Clusters} clusters; {parameters.MaxDegreeOfParallelism} threads; {CpuInfo.Current.Describe()}");
            var memory = GC.GetTotalMemory(false);
            var watch = Stopwatch.StartNew();
            var result = UmapProjection.Run(data, n, d, parameters);
            watch.Stop();
            var t = result.Timings;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"PCA to {result.ReducedDimensions}-d {t.Pca.TotalSeconds:0.0} s | kNN (k={parameters.Neighbours - 1}, exact) {t.Neighbours.TotalSeconds:0.0} s | fuzzy graph {t.FuzzyGraph.TotalSeconds:0.0} s ({t.Edges:N0} edges) | layout {t.Layout.TotalSeconds:0.0} s ({t.Epochs} epochs) | total {watch.Elapsed.TotalSeconds:0.0} s"));
            Console.WriteLine($"managed heap after the run: {(GC.GetTotalMemory(false) - memory) / 1e6:N0} MB above the start; process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:N0} MB");

            var random = new Random(7);
            var chosen = Enumerable.Range(0, n).OrderBy(_ => random.Next()).Take(Math.Min(n, parse.GetValue(sample))).ToArray();
            var parallel = parameters.Parallel(CancellationToken.None);
            var trust = Trustworthiness.Measure(result.Reduced, result.ReducedDimensions, result.Layout, n, 10, chosen, parallel);
            var own = chosen.AsParallel().Select(i =>
            {
                var nearest = Enumerable.Range(0, n).Where(j => j != i)
                    .OrderBy(j => Math.Pow(result.Layout[2 * i] - result.Layout[2 * j], 2) + Math.Pow(result.Layout[2 * i + 1] - result.Layout[2 * j + 1], 2)).Take(10);
                return nearest.Count(j => labels[j] == labels[i]) / 10.0;
            }).Average();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trustworthiness@10 {trust:0.000} (on {chosen.Length} points) | own-cluster share of 10 nearest 2-d neighbours {own:P1}"));
            return 0;
        });
        return new Command("bench", "Benchmarks") { command };
    }
}
