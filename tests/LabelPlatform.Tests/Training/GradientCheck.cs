namespace LabelPlatform.Tests.Training;

/// <summary>
/// Central finite differences of a scalar function of a float array, compared entry by entry with an analytic
/// gradient. The function is a double-precision reference of the forward pass (<see cref="Reference"/>), because
/// differences of float32 forward passes are noisy at the 1e-5 level, as large as small gradient entries. The
/// criterion is |analytic - numeric| / max(|analytic|, |numeric|, 1e-3) &lt; 1e-2: the float32 analytic gradients
/// meet it a hundredfold, and dropping any one Jacobian term breaks it (checked by deleting each term in turn).
/// </summary>
internal static class GradientCheck
{
    public const float Step = 1e-4f;
    public const double Floor = 1e-3;
    public const double Tolerance = 1e-2;

    /// <summary>Fails when d <paramref name="loss"/> / d <paramref name="values"/> differs from <paramref name="analytic"/> anywhere.</summary>
    public static void Matches(string name, float[] values, float[] analytic, Func<double> loss)
    {
        Assert.Equal(values.Length, analytic.Length);
        var (worst, worstIndex, worstNumeric, largest) = (0.0, -1, 0.0, 0.0);
        for (var i = 0; i < values.Length; i++)
        {
            var original = values[i];
            var (up, down) = (original + Step, original - Step);
            values[i] = up;
            var plus = loss();
            values[i] = down;
            var minus = loss();
            values[i] = original;
            // The float steps actually taken, not the nominal 2 * Step.
            var numeric = (plus - minus) / ((double)up - down);
            var error = Math.Abs(analytic[i] - numeric) / Math.Max(Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)), Floor);
            largest = Math.Max(largest, Math.Abs(numeric));
            if (error > worst || worstIndex < 0)
            {
                (worst, worstIndex, worstNumeric) = (error, i, numeric);
            }
        }

        // A function flat in every entry would pass against a zero gradient and prove nothing.
        Assert.True(largest > 10 * Floor, $"{name}: the function hardly depends on it (largest finite difference {largest:G3})");
        Assert.True(worst < Tolerance, $"{name}[{worstIndex}]: analytic {analytic[worstIndex]:G6}, finite difference {worstNumeric:G6} (relative error {worst:G3})");
    }

    /// <summary>What the production forward pass computed in float32 agrees with the double reference.</summary>
    public static void SameValues(string name, ReadOnlySpan<float> production, ReadOnlySpan<double> reference)
    {
        Assert.Equal(reference.Length, production.Length);
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.True(Math.Abs(production[i] - reference[i]) <= 1e-5 * Math.Max(1, Math.Abs(reference[i])), $"{name}[{i}]: {production[i]:G9} computed, {reference[i]:G9} by the reference");
        }
    }

    /// <summary>Uniform values in [-scale, scale].</summary>
    public static float[] Uniform(Random random, int count, float scale = 1f) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale)];

    /// <summary>Rows of unit length (what the head gives a loss).</summary>
    public static float[] UnitRows(Random random, int rows, int dimension)
    {
        var values = Uniform(random, rows * dimension);
        for (var i = 0; i < rows; i++)
        {
            LabelPlatform.Core.Embeddings.VectorCodec.Normalize(values.AsSpan(i * dimension, dimension));
        }

        return values;
    }

    /// <summary>Σ r_i y_i: a random linear read-out turns a layer's output into a scalar whose gradient w.r.t. y is r.</summary>
    public static double Readout(ReadOnlySpan<float> r, ReadOnlySpan<double> y)
    {
        double sum = 0;
        for (var i = 0; i < r.Length; i++)
        {
            sum += r[i] * y[i];
        }

        return sum;
    }
}
