namespace LabelPlatform.Core.Maps.Umap;

/// <summary>
/// Trustworthiness (Venna and Kaski 2001): how far the 2-D neighbours of a point are from being its true neighbours,
/// 1 when every 2-D k-neighbourhood holds only original k-neighbours. Computed over a sample of points for large sets.
/// </summary>
public static class Trustworthiness
{
    /// <param name="original">n x d points the layout was made from.</param>
    /// <param name="layout">n x 2 layout.</param>
    /// <param name="sample">Indices of the points to judge (all points for the exact measure).</param>
    public static double Measure(float[] original, int d, float[] layout, int n, int k, IReadOnlyList<int> sample, ParallelOptions parallel)
    {
        var penalties = new double[sample.Count];
        Parallel.For(0, sample.Count, parallel, s =>
        {
            var i = sample[s];
            // Rank of every point by its original distance to i (1 = nearest other point).
            var byOriginal = new (float Distance, int Index)[n];
            var byLayout = new (float Distance, int Index)[n];
            for (var j = 0; j < n; j++)
            {
                byOriginal[j] = (j == i ? float.NegativeInfinity : System.Numerics.Tensors.TensorPrimitives.Distance(original.AsSpan(i * d, d), original.AsSpan(j * d, d)), j);
                var dx = layout[2 * i] - layout[2 * j];
                var dy = layout[2 * i + 1] - layout[2 * j + 1];
                byLayout[j] = (j == i ? float.NegativeInfinity : dx * dx + dy * dy, j);
            }

            Array.Sort(byOriginal);
            Array.Sort(byLayout);
            var rank = new int[n];
            for (var r = 0; r < n; r++)
            {
                rank[byOriginal[r].Index] = r;
            }

            var penalty = 0.0;
            for (var r = 1; r <= k; r++)
            {
                var excess = rank[byLayout[r].Index] - k;
                if (excess > 0)
                {
                    penalty += excess;
                }
            }

            penalties[s] = penalty;
        });
        return 1 - 2.0 / (sample.Count * k * (2.0 * n - 3 * k - 1)) * penalties.Sum();
    }
}
