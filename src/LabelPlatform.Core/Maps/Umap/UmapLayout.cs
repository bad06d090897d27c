namespace LabelPlatform.Core.Maps.Umap;

/// <summary>
/// The layout step of UMAP (umap-learn's optimize_layout_euclidean): every edge is sampled in proportion to its
/// weight, pulled together along the attractive gradient, and its head pushed away from a few random points along the
/// repulsive one, with a learning rate falling linearly to zero.
/// </summary>
public static class UmapLayout
{
    private const float Clip = 4f;

    /// <summary>
    /// The first two principal components of <paramref name="scores"/> (n x dims, largest variance first) scaled to
    /// [0, 10] per axis, plus a little seeded noise so that duplicate points do not start on top of each other.
    /// </summary>
    public static float[] PcaInitialisation(float[] scores, int n, int dims, ulong seed)
    {
        var layout = new float[2 * n];
        for (var axis = 0; axis < 2; axis++)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                var v = axis < dims ? scores[i * dims + axis] : 0;
                (min, max) = (Math.Min(min, v), Math.Max(max, v));
            }

            var scale = max > min ? 10f / (max - min) : 0f;
            for (var i = 0; i < n; i++)
            {
                var v = axis < dims ? scores[i * dims + axis] : 0;
                layout[2 * i + axis] = (v - min) * scale;
            }
        }

        var random = new SplitMix(seed, 0x1417);
        for (var i = 0; i < layout.Length; i++)
        {
            layout[i] += (float)(random.NextGaussian() * 1e-4);
        }

        return layout;
    }

    /// <summary>
    /// Optimises <paramref name="layout"/> (n x 2) in place. Edges lighter than max / epochs are never sampled in
    /// umap-learn either, so they are dropped. <paramref name="progress"/> hears the epochs done.
    /// </summary>
    public static void Optimise(float[] layout, FuzzyGraph graph, UmapParameters parameters, Action<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var epochs = parameters.EpochsFor(graph.Count);
        var max = graph.Weights.Length == 0 ? 0 : graph.Weights.Max();
        var kept = Enumerable.Range(0, graph.Edges).Where(e => graph.Weights[e] >= max / epochs).ToArray();
        var heads = kept.Select(e => graph.Heads[e]).ToArray();
        var tails = kept.Select(e => graph.Tails[e]).ToArray();
        // An edge of weight w is sampled every max / w epochs; negatives every that / negative_sample_rate.
        var perSample = kept.Select(e => max / graph.Weights[e]).ToArray();
        var perNegative = perSample.Select(p => p / parameters.NegativeSampleRate).ToArray();
        var nextSample = (float[])perSample.Clone();
        var nextNegative = (float[])perNegative.Clone();

        var threads = Math.Max(1, parameters.MaxDegreeOfParallelism);
        // Several chunks per thread so that an uneven chunk does not leave a core idle; one chunk when single-threaded.
        var chunks = threads == 1 ? 1 : threads * 4;
        var chunkSize = (heads.Length + chunks - 1) / Math.Max(1, chunks);
        var options = parameters.Parallel(cancellationToken);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var alpha = parameters.LearningRate * (1f - epoch / (float)epochs);
            var n = epoch;
            if (chunks == 1)
            {
                Epoch(0, heads.Length, n, alpha, layout, heads, tails, perSample, perNegative, nextSample, nextNegative, graph.Count, parameters, new SplitMix(parameters.Seed, (ulong)epoch));
            }
            else
            {
                // Hogwild: chunks touch shared points without locks, as umap-learn's parallel mode does.
                Parallel.For(0, chunks, options, c =>
                {
                    var start = c * chunkSize;
                    var end = Math.Min(heads.Length, start + chunkSize);
                    if (start < end)
                    {
                        Epoch(start, end, n, alpha, layout, heads, tails, perSample, perNegative, nextSample, nextNegative, graph.Count, parameters,
                            new SplitMix(parameters.Seed, ((ulong)epoch << 20) ^ (ulong)c));
                    }
                });
            }

            progress?.Invoke(epoch + 1);
        }
    }

    private static void Epoch(int start, int end, int epoch, float alpha, float[] layout, int[] heads, int[] tails, float[] perSample, float[] perNegative,
        float[] nextSample, float[] nextNegative, int count, UmapParameters p, SplitMix random)
    {
        var (a, b) = (p.A, p.B);
        for (var e = start; e < end; e++)
        {
            if (nextSample[e] > epoch)
            {
                continue;
            }

            var j = heads[e];
            var k = tails[e];
            var dx = layout[2 * j] - layout[2 * k];
            var dy = layout[2 * j + 1] - layout[2 * k + 1];
            var coefficient = UmapGradient.Attractive(dx * dx + dy * dy, a, b);
            var gx = Math.Clamp(coefficient * dx, -Clip, Clip) * alpha;
            var gy = Math.Clamp(coefficient * dy, -Clip, Clip) * alpha;
            layout[2 * j] += gx;
            layout[2 * j + 1] += gy;
            layout[2 * k] -= gx;
            layout[2 * k + 1] -= gy;
            nextSample[e] += perSample[e];

            var negatives = (int)((epoch - nextNegative[e]) / perNegative[e]);
            for (var s = 0; s < negatives; s++)
            {
                var other = random.NextInt(count);
                if (other == j)
                {
                    continue;
                }

                dx = layout[2 * j] - layout[2 * other];
                dy = layout[2 * j + 1] - layout[2 * other + 1];
                var d2 = dx * dx + dy * dy;
                // Coincident points get the largest push (the clip bound), as in umap-learn.
                var repulse = UmapGradient.Repulsive(d2, a, b);
                layout[2 * j] += (repulse > 0 ? Math.Clamp(repulse * dx, -Clip, Clip) : Clip) * alpha;
                layout[2 * j + 1] += (repulse > 0 ? Math.Clamp(repulse * dy, -Clip, Clip) : Clip) * alpha;
            }

            nextNegative[e] += negatives * perNegative[e];
        }
    }
}
