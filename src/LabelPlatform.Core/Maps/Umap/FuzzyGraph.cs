namespace LabelPlatform.Core.Maps.Umap;

/// <summary>
/// UMAP's fuzzy simplicial set: symmetric weighted edges, each undirected edge stored in both directions (as the
/// symmetric sparse matrix umap-learn optimises), sorted by head.
/// </summary>
public sealed record FuzzyGraph(int Count, int[] Heads, int[] Tails, float[] Weights)
{
    public int Edges => Heads.Length;

    /// <summary>
    /// Builds it from the kNN lists: per point the distance to its nearest neighbour (rho) and a bandwidth (sigma) such
    /// that its memberships exp(-(d - rho) / sigma) sum to log2(n_neighbors), then the fuzzy union a + b - a·b of the
    /// two directions of each edge.
    /// </summary>
    public static FuzzyGraph Build(KnnResult knn, int neighbours, ParallelOptions parallel)
    {
        var n = knn.Count;
        var k = knn.K;
        var (rhos, sigmas) = SmoothDistances(knn, neighbours, parallel);
        var directed = new Dictionary<long, (float Forward, float Backward)>(n * k);
        for (var i = 0; i < n; i++)
        {
            var row = knn.NeighboursOf(i);
            var dist = knn.DistancesOf(i);
            for (var j = 0; j < k; j++)
            {
                var w = Membership(dist[j], rhos[i], sigmas[i]);
                var other = row[j];
                // Keyed by (smaller, larger): Forward is smaller -> larger, Backward the other direction.
                var key = Math.Min(i, other) * (long)n + Math.Max(i, other);
                var seen = directed.GetValueOrDefault(key);
                directed[key] = i < other ? (w, seen.Backward) : (seen.Forward, w);
            }
        }

        var keys = directed.Keys.ToArray();
        Array.Sort(keys);
        var edges = new List<(int Head, int Tail, float Weight)>(keys.Length * 2);
        foreach (var key in keys)
        {
            var (a, b) = directed[key];
            var w = a + b - a * b;
            if (w <= 0)
            {
                continue;
            }

            var (low, high) = ((int)(key / n), (int)(key % n));
            edges.Add((low, high, w));
            edges.Add((high, low, w));
        }

        edges.Sort((x, y) => x.Head != y.Head ? x.Head.CompareTo(y.Head) : x.Tail.CompareTo(y.Tail));
        return new FuzzyGraph(n, [.. edges.Select(e => e.Head)], [.. edges.Select(e => e.Tail)], [.. edges.Select(e => e.Weight)]);
    }

    public static float Membership(float distance, float rho, float sigma) =>
        distance - rho <= 0 ? 1f : MathF.Exp(-(distance - rho) / sigma);

    private const int SearchSteps = 64;
    private const double Tolerance = 1e-5;
    private const double MinDistanceScale = 1e-3;

    /// <summary>umap-learn's smooth_knn_dist with local_connectivity 1: rho is the first non-zero distance, sigma by bisection.</summary>
    public static (float[] Rhos, float[] Sigmas) SmoothDistances(KnnResult knn, int neighbours, ParallelOptions parallel)
    {
        var n = knn.Count;
        var rhos = new float[n];
        var sigmas = new float[n];
        var target = Math.Log2(neighbours);
        var meanAll = knn.Distances.Length == 0 ? 0 : knn.Distances.Average(d => (double)d);
        Parallel.For(0, n, parallel, i =>
        {
            var dist = knn.DistancesOf(i);
            var rho = 0f;
            foreach (var d in dist)
            {
                if (d > 0)
                {
                    rho = d;
                    break;
                }
            }

            double lo = 0, hi = double.PositiveInfinity, mid = 1;
            for (var step = 0; step < SearchSteps; step++)
            {
                var sum = 0.0;
                foreach (var d in dist)
                {
                    var excess = d - rho;
                    sum += excess > 0 ? Math.Exp(-excess / mid) : 1;
                }

                if (Math.Abs(sum - target) < Tolerance)
                {
                    break;
                }

                if (sum > target)
                {
                    hi = mid;
                    mid = (lo + hi) / 2;
                }
                else
                {
                    lo = mid;
                    mid = double.IsPositiveInfinity(hi) ? mid * 2 : (lo + hi) / 2;
                }
            }

            // A floor on sigma keeps points in a tight clump (or duplicates) from getting infinitely sharp memberships.
            var mean = dist.Length == 0 ? 0 : Average(dist);
            var floor = MinDistanceScale * (rho > 0 ? mean : meanAll);
            rhos[i] = rho;
            sigmas[i] = (float)Math.Max(mid, floor);
        });
        return (rhos, sigmas);
    }

    private static double Average(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }

        return sum / values.Length;
    }
}
