using System.Runtime.CompilerServices;

namespace LabelPlatform.Core.Maps.Umap;

/// <summary>
/// UMAP's objective in the layout: for an edge of weight w between points at squared distance d², the low-dimensional
/// similarity is q = 1 / (1 + a d^(2b)) and the cost w·(-log q) + (1 - w)·(-log(1 - q)) (fuzzy set cross-entropy).
/// The SGD of <see cref="UmapLayout"/> moves along the negative gradient of the two terms; the coefficients here are
/// what it multiplies (y_i - y_j) by.
/// </summary>
public static class UmapGradient
{
    /// <summary>umap-learn adds this to d² in the repulsive term so that coincident points do not divide by zero.</summary>
    public const float RepulsionEpsilon = 0.001f;

    /// <summary>Step coefficient of the attractive term: -∇(-log q) = coefficient · (y_i - y_j).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Attractive(float distanceSquared, float a, float b)
    {
        if (!(distanceSquared > 0))
        {
            return 0;
        }

        var powB = MathF.Exp(b * MathF.Log(distanceSquared));
        return -2f * a * b * (powB / distanceSquared) / (a * powB + 1f);
    }

    /// <summary>Step coefficient of the repulsive term: -∇(-log(1 - q)) = coefficient · (y_i - y_j), with d² + epsilon below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Repulsive(float distanceSquared, float a, float b, float epsilon = RepulsionEpsilon)
    {
        if (!(distanceSquared > 0))
        {
            return 0;
        }

        var powB = MathF.Exp(b * MathF.Log(distanceSquared));
        return 2f * b / ((epsilon + distanceSquared) * (a * powB + 1f));
    }

    /// <summary>The cross-entropy of a 2-D layout over weighted undirected edges (each listed once), in double.</summary>
    public static double CrossEntropy(ReadOnlySpan<double> layout, IReadOnlyList<(int I, int J, double W)> edges, double a, double b)
    {
        var total = 0.0;
        foreach (var (i, j, w) in edges)
        {
            var dx = layout[2 * i] - layout[2 * j];
            var dy = layout[2 * i + 1] - layout[2 * j + 1];
            var q = 1 / (1 + a * Math.Pow(dx * dx + dy * dy, b));
            total += -w * Math.Log(q) - (1 - w) * Math.Log(1 - q);
        }

        return total;
    }

    /// <summary>
    /// The gradient of <see cref="CrossEntropy"/> assembled from <see cref="Attractive"/> and <see cref="Repulsive"/>
    /// (epsilon 0, the exact objective), which is what the SGD steps along edge by edge and sample by sample.
    /// </summary>
    public static double[] Gradient(ReadOnlySpan<double> layout, IReadOnlyList<(int I, int J, double W)> edges, float a, float b)
    {
        var gradient = new double[layout.Length];
        foreach (var (i, j, w) in edges)
        {
            var dx = layout[2 * i] - layout[2 * j];
            var dy = layout[2 * i + 1] - layout[2 * j + 1];
            var d2 = (float)(dx * dx + dy * dy);
            var step = w * Attractive(d2, a, b) + (1 - w) * Repulsive(d2, a, b, epsilon: 0);
            // A step along +coefficient·(y_i - y_j) lowers the cost, so the gradient is its negative (and opposite for j).
            gradient[2 * i] -= step * dx;
            gradient[2 * i + 1] -= step * dy;
            gradient[2 * j] += step * dx;
            gradient[2 * j + 1] += step * dy;
        }

        return gradient;
    }
}
