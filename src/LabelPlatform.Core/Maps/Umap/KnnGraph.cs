using System.Numerics;
using System.Numerics.Tensors;

namespace LabelPlatform.Core.Maps.Umap;

/// <summary>Each point's nearest others, ascending by Euclidean distance: n x K indices and distances, row-major.</summary>
public sealed record KnnResult(int Count, int K, int[] Indices, float[] Distances)
{
    public ReadOnlySpan<int> NeighboursOf(int point) => Indices.AsSpan(point * K, K);

    public ReadOnlySpan<float> DistancesOf(int point) => Distances.AsSpan(point * K, K);
}

/// <summary>
/// Exact k-nearest-neighbour search over low-dimensional (PCA-reduced) points. The candidates are stored in blocks of
/// one SIMD vector's width, dimension by dimension, so four queries are compared with a whole block by broadcasting
/// each query coordinate: n² distances without a horizontal sum per pair, on a bounded number of threads.
/// </summary>
public static class KnnGraph
{
    private const int QueriesPerPass = 4;

    /// <summary>
    /// The <paramref name="k"/> nearest other points of every point (the point itself excluded; ties broken by index).
    /// <paramref name="progress"/> is told how many queries are done (from worker threads).
    /// </summary>
    public static KnnResult Exact(float[] points, int n, int dims, int k, ParallelOptions parallel, Action<int>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points.Length, (long)n * dims, nameof(points));
        k = Math.Min(k, n - 1);
        if (k <= 0)
        {
            return new KnnResult(n, 0, [], []);
        }

        var width = Vector<float>.Count;
        var blocks = (n + width - 1) / width;
        var soa = new float[(long)blocks * dims * width];
        var norms = new float[blocks * width];
        Array.Fill(norms, float.PositiveInfinity);
        for (var i = 0; i < n; i++)
        {
            var (block, lane) = Math.DivRem(i, width);
            for (var t = 0; t < dims; t++)
            {
                soa[(block * dims + t) * width + lane] = points[i * dims + t];
            }

            norms[i] = TensorPrimitives.Dot(points.AsSpan(i * dims, dims), points.AsSpan(i * dims, dims));
        }

        var indices = new int[n * k];
        var distances = new float[n * k];
        var passes = (n + QueriesPerPass - 1) / QueriesPerPass;
        var done = 0;
        Parallel.For(0, passes, parallel, () => new Best(k), (pass, _, best) =>
        {
            Search(pass * QueriesPerPass, Math.Min(n, (pass + 1) * QueriesPerPass), points, dims, soa, norms, blocks, width, best, indices, distances);
            var finished = Interlocked.Add(ref done, Math.Min(n, (pass + 1) * QueriesPerPass) - pass * QueriesPerPass);
            if ((pass & 255) == 0)
            {
                progress?.Invoke(finished);
            }

            return best;
        }, _ => { });
        progress?.Invoke(n);
        return new KnnResult(n, k, indices, distances);
    }

    private static void Search(int first, int end, float[] points, int dims, float[] soa, float[] norms, int blocks, int width,
        Best best, int[] indices, float[] distances)
    {
        var count = end - first;
        // Unused query slots repeat the first query; their results are dropped.
        Span<int> query = stackalloc int[QueriesPerPass];
        for (var s = 0; s < QueriesPerPass; s++)
        {
            query[s] = first + Math.Min(s, count - 1);
        }

        best.Reset();
        var two = new Vector<float>(2f);
        for (var b = 0; b < blocks; b++)
        {
            Vector<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
            var offset = b * dims * width;
            for (var t = 0; t < dims; t++)
            {
                var c = new Vector<float>(soa, offset + t * width);
                acc0 += c * points[query[0] * dims + t];
                acc1 += c * points[query[1] * dims + t];
                acc2 += c * points[query[2] * dims + t];
                acc3 += c * points[query[3] * dims + t];
            }

            // |c|² - 2 q·c ranks candidates as the squared distance does (|q|² is the same for the whole row).
            var norm = new Vector<float>(norms, b * width);
            Offer(best, 0, norm - two * acc0, b * width, query[0]);
            if (count > 1)
            {
                Offer(best, 1, norm - two * acc1, b * width, query[1]);
            }

            if (count > 2)
            {
                Offer(best, 2, norm - two * acc2, b * width, query[2]);
            }

            if (count > 3)
            {
                Offer(best, 3, norm - two * acc3, b * width, query[3]);
            }
        }

        for (var s = 0; s < count; s++)
        {
            // Exact distances for the winners (the expanded form loses digits for near points), then re-sorted.
            var q = query[s];
            var row = indices.AsSpan(q * best.K, best.K);
            var dist = distances.AsSpan(q * best.K, best.K);
            best.Indices(s).CopyTo(row);
            for (var j = 0; j < row.Length; j++)
            {
                dist[j] = TensorPrimitives.Distance(points.AsSpan(q * dims, dims), points.AsSpan(row[j] * dims, dims));
            }

            SortByDistance(dist, row);
        }
    }

    private static void Offer(Best best, int slot, Vector<float> scores, int firstCandidate, int self)
    {
        var threshold = best.Threshold(slot);
        if (!Vector.LessThanAny(scores, new Vector<float>(threshold)))
        {
            return;
        }

        for (var lane = 0; lane < Vector<float>.Count; lane++)
        {
            var candidate = firstCandidate + lane;
            if (scores[lane] < best.Threshold(slot) && candidate != self)
            {
                best.Insert(slot, scores[lane], candidate);
            }
        }
    }

    private static void SortByDistance(Span<float> distances, Span<int> indices)
    {
        for (var i = 1; i < distances.Length; i++)
        {
            var (d, index) = (distances[i], indices[i]);
            var j = i - 1;
            while (j >= 0 && (distances[j] > d || (distances[j] == d && indices[j] > index)))
            {
                distances[j + 1] = distances[j];
                indices[j + 1] = indices[j];
                j--;
            }

            distances[j + 1] = d;
            indices[j + 1] = index;
        }
    }

    /// <summary>Per-thread sorted top-K lists for the queries of one pass (insertion: K is small and inserts grow rare).</summary>
    private sealed class Best(int k)
    {
        private readonly float[] _scores = new float[QueriesPerPass * k];
        private readonly int[] _indices = new int[QueriesPerPass * k];

        public int K => k;

        public void Reset()
        {
            Array.Fill(_scores, float.PositiveInfinity);
            Array.Fill(_indices, -1);
        }

        public float Threshold(int slot) => _scores[slot * k + k - 1];

        public Span<int> Indices(int slot) => _indices.AsSpan(slot * k, k);

        public void Insert(int slot, float score, int index)
        {
            var baseIndex = slot * k;
            var j = k - 1;
            while (j > 0 && _scores[baseIndex + j - 1] > score)
            {
                _scores[baseIndex + j] = _scores[baseIndex + j - 1];
                _indices[baseIndex + j] = _indices[baseIndex + j - 1];
                j--;
            }

            _scores[baseIndex + j] = score;
            _indices[baseIndex + j] = index;
        }
    }
}
