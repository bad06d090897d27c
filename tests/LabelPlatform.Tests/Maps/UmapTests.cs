using LabelPlatform.Core.Maps.Umap;

namespace LabelPlatform.Tests.Maps;

/// <summary>
/// The UMAP implementation piece by piece: the layout's gradient terms against finite differences of the fuzzy
/// cross-entropy, the fuzzy memberships on a case worked by hand, PCA and the exact kNN against plain references, and
/// the whole projection on separated clusters (neighbourhoods kept, trustworthiness) and for determinism.
/// </summary>
public class UmapTests
{
    private const float A = 1.577f, B = 0.895f;

    private static readonly double[] Points = [0.3, -0.2, 1.1, 0.4, -0.7, 1.3, 2.0, -1.5, 0.9, 2.2];

    private static readonly (int I, int J, double W)[] Edges = [(0, 1, 0.7), (0, 2, 0.3), (1, 3, 0.55), (2, 4, 0.2), (3, 4, 0.8), (1, 4, 0.4)];

    [Fact]
    public void Attractive_and_repulsive_terms_together_are_the_gradient_of_the_cross_entropy()
    {
        AssertMatchesFiniteDifferences(Edges);
    }

    [Fact]
    public void Attractive_term_alone_is_the_gradient_of_the_attraction_part()
    {
        // Weight 1 leaves only w·(-log q): a wrong or missing attractive coefficient shows here on its own.
        AssertMatchesFiniteDifferences([.. Edges.Select(e => (e.I, e.J, 1.0))]);
    }

    [Fact]
    public void Repulsive_term_alone_is_the_gradient_of_the_repulsion_part()
    {
        // Weight 0 leaves only (1 - w)·(-log(1 - q)).
        AssertMatchesFiniteDifferences([.. Edges.Select(e => (e.I, e.J, 0.0))]);
    }

    private static void AssertMatchesFiniteDifferences((int I, int J, double W)[] edges)
    {
        var analytic = UmapGradient.Gradient(Points, edges, A, B);
        const double h = 1e-6;
        for (var p = 0; p < Points.Length; p++)
        {
            var plus = (double[])Points.Clone();
            var minus = (double[])Points.Clone();
            plus[p] += h;
            minus[p] -= h;
            var numeric = (UmapGradient.CrossEntropy(plus, edges, A, B) - UmapGradient.CrossEntropy(minus, edges, A, B)) / (2 * h);
            Assert.True(Math.Abs(numeric) > 1e-3, $"coordinate {p} has a negligible gradient ({numeric}); the check would prove nothing");
            Assert.True(Math.Abs(analytic[p] - numeric) <= 1e-4 * Math.Max(1, Math.Abs(numeric)), $"coordinate {p}: analytic {analytic[p]}, finite differences {numeric}");
        }
    }

    [Fact]
    public void Fuzzy_memberships_of_a_four_point_disphenoid_match_the_hand_computation()
    {
        // Two pairs at distance 1 (A-B, C-D), every cross pair at distance 2: A, B = (±1/2, 0, 0), C, D = (0, ±1/2, h)
        // with 1/4 + 1/4 + h² = 4. With n_neighbors 4 each point sees its 3 others: rho = 1, and the memberships
        // 1 + 2·exp(-(2 - 1) / sigma) = log2(4) = 2 give exp(-1 / sigma) = 1/2, sigma = 1 / ln 2. The union of the two
        // directions: pairs 1 + 1 - 1 = 1, cross 0.5 + 0.5 - 0.25 = 0.75.
        var h = (float)Math.Sqrt(3.5);
        float[] points = [0.5f, 0, 0, -0.5f, 0, 0, 0, 0.5f, h, 0, -0.5f, h];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 1 };
        var knn = KnnGraph.Exact(points, 4, 3, 3, parallel);
        var (rhos, sigmas) = FuzzyGraph.SmoothDistances(knn, 4, parallel);
        var graph = FuzzyGraph.Build(knn, 4, parallel);

        Assert.All(rhos, r => Assert.Equal(1f, r, 1e-5f));
        Assert.All(sigmas, s => Assert.Equal(1 / Math.Log(2), s, 1e-3));
        Assert.Equal(12, graph.Edges);
        for (var e = 0; e < graph.Edges; e++)
        {
            var pair = graph.Heads[e] / 2 == graph.Tails[e] / 2;
            Assert.Equal(pair ? 1f : 0.75f, graph.Weights[e], 1e-4f);
        }
    }

    [Fact]
    public void Exact_knn_matches_brute_force()
    {
        var random = new Random(3);
        const int n = 203, dims = 7, k = 9;
        var points = Enumerable.Range(0, n * dims).Select(_ => (float)random.NextDouble()).ToArray();
        var knn = KnnGraph.Exact(points, n, dims, k, new ParallelOptions { MaxDegreeOfParallelism = 2 });
        for (var i = 0; i < n; i++)
        {
            var expected = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => Enumerable.Range(0, dims).Sum(t => Math.Pow(points[i * dims + t] - points[j * dims + t], 2))).Take(k).ToArray();
            Assert.Equal(expected, knn.NeighboursOf(i).ToArray());
            Assert.Equal(Math.Sqrt(Enumerable.Range(0, dims).Sum(t => Math.Pow(points[i * dims + t] - points[expected[0] * dims + t], 2))), knn.DistancesOf(i)[0], 1e-5);
        }
    }

    [Fact]
    public void Randomized_pca_finds_the_top_components_of_the_covariance()
    {
        // 400 points in 30-d with standard deviations 6, 4, 3 along the first three axes and 0.3 along the others, off-centre.
        const int n = 400, d = 30, k = 3;
        var random = new Random(4);
        var data = new float[n * d];
        for (var i = 0; i < n; i++)
        {
            for (var t = 0; t < d; t++)
            {
                data[i * d + t] = (float)(Gaussian(random) * (t switch { 0 => 6, 1 => 4, 2 => 3, _ => 0.3 }) + 5);
            }
        }

        var (values, _) = SymmetricEigen.Decompose(Covariance(data, n, d));
        var scores = Pca.Project((float[])data.Clone(), n, d, k, 7, new ParallelOptions { MaxDegreeOfParallelism = 2 });
        for (var c = 0; c < k; c++)
        {
            var variance = Enumerable.Range(0, n).Sum(i => Math.Pow(scores[i * k + c], 2)) / (n - 1);
            Assert.Equal(values[c], variance, values[c] * 0.01);
        }

        Assert.True(values[0] > values[1] && values[1] > values[2] && values[2] > 5 * values[3], string.Join(", ", values.Take(4)));
    }

    [Fact]
    public void Three_separated_clusters_in_64_d_stay_separated_in_2_d()
    {
        var (data, labels) = Clusters(seed: 5);
        const int n = 300, d = 64;
        var original = (float[])data.Clone();
        var result = UmapProjection.Run(data, n, d, new UmapParameters { MaxDegreeOfParallelism = 2 });
        var layout = result.Layout;

        for (var i = 0; i < n; i++)
        {
            var nearest = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => Math.Pow(layout[2 * i] - layout[2 * j], 2) + Math.Pow(layout[2 * i + 1] - layout[2 * j + 1], 2)).Take(10);
            var own = nearest.Count(j => labels[j] == labels[i]);
            Assert.True(own >= 8, $"point {i} (cluster {labels[i]}) has only {own} of its 10 nearest 2-d neighbours in its cluster");
        }

        var trust = Trustworthiness.Measure(original, d, layout, n, 10, [.. Enumerable.Range(0, n)], new ParallelOptions { MaxDegreeOfParallelism = 2 });
        Assert.True(trust >= 0.9, $"trustworthiness {trust:0.000}");
    }

    [Fact]
    public void Single_threaded_runs_with_one_seed_are_identical_and_another_seed_differs()
    {
        float[] Run(ulong seed)
        {
            var (data, _) = Clusters(seed: 6);
            return UmapProjection.Run(data, 300, 64, new UmapParameters { MaxDegreeOfParallelism = 1, Seed = seed, Epochs = 100 }).Layout;
        }

        var first = Run(11);
        Assert.Equal(first, Run(11));
        Assert.NotEqual(first, Run(12));
    }

    /// <summary>Three clusters of 100 in 64-d: centres 20 apart, points spread along a random 3-d subspace of each (std 1) plus faint noise.</summary>
    private static (float[] Data, int[] Labels) Clusters(int seed)
    {
        const int perCluster = 100, d = 64;
        var random = new Random(seed);
        var data = new float[3 * perCluster * d];
        var labels = new int[3 * perCluster];
        for (var c = 0; c < 3; c++)
        {
            var centre = Enumerable.Range(0, d).Select(_ => Gaussian(random) * 20 / Math.Sqrt(d)).ToArray();
            var axes = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, d).Select(_ => Gaussian(random) / Math.Sqrt(d)).ToArray()).ToArray();
            for (var p = 0; p < perCluster; p++)
            {
                var i = c * perCluster + p;
                labels[i] = c;
                var coefficients = axes.Select(_ => Gaussian(random)).ToArray();
                for (var t = 0; t < d; t++)
                {
                    data[i * d + t] = (float)(centre[t] + axes.Select((axis, a) => axis[t] * coefficients[a]).Sum() + Gaussian(random) * 0.02);
                }
            }
        }

        return (data, labels);
    }

    private static double[,] Covariance(float[] data, int n, int d)
    {
        var mean = Enumerable.Range(0, d).Select(t => Enumerable.Range(0, n).Average(i => (double)data[i * d + t])).ToArray();
        var c = new double[d, d];
        for (var a = 0; a < d; a++)
        {
            for (var b = 0; b < d; b++)
            {
                c[a, b] = Enumerable.Range(0, n).Sum(i => (data[i * d + a] - mean[a]) * (data[i * d + b] - mean[b])) / (n - 1);
            }
        }

        return c;
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
