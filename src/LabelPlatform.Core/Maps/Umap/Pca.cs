using System.Numerics.Tensors;

namespace LabelPlatform.Core.Maps.Umap;

/// <summary>
/// Randomized PCA (Halko, Martinsson and Tropp 2011): a Gaussian sketch of the centred data, a few power iterations
/// to sharpen it, then the exact eigen-decomposition of the small sketch. Reduces 1280-d embeddings to 50-d in a few
/// passes over the data instead of forming the 1280 x 1280 covariance.
/// </summary>
/// <remarks>
/// Sums over rows are taken in fixed chunks of <see cref="ChunkRows"/> and added in chunk order, so the result does not
/// depend on how many threads ran (floating-point addition is not associative).
/// </remarks>
public static class Pca
{
    public const int Oversampling = 10;
    public const int PowerIterations = 2;
    public const int ChunkRows = 2048;

    /// <summary>
    /// Centres <paramref name="data"/> (n x d, row-major) in place and returns the n x k scores on its top k principal
    /// components, largest variance first. When k is at least d the centred data itself is returned.
    /// </summary>
    public static float[] Project(float[] data, int n, int d, int k, ulong seed, ParallelOptions parallel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(data.Length, (long)n * d, nameof(data));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        Centre(data, n, d, parallel);
        if (k >= d)
        {
            return data;
        }

        var l = Math.Min(d, Math.Min(n, k + Oversampling));
        k = Math.Min(k, l);
        var random = new SplitMix(seed, 0x9ca);
        var omega = new float[l * d];
        for (var i = 0; i < omega.Length; i++)
        {
            omega[i] = (float)random.NextGaussian();
        }

        // Q (n x l) spans the dominant column space of X; each power iteration multiplies by X Xᵀ.
        var q = MultiplyTransposed(data, n, d, omega, l, parallel);
        Orthonormalise(q, n, l);
        for (var it = 0; it < PowerIterations; it++)
        {
            var z = TransposeMultiply(data, n, d, q, l, parallel);
            OrthonormaliseRows(z, l, d);
            q = MultiplyTransposed(data, n, d, z, l, parallel);
            Orthonormalise(q, n, l);
        }

        // B = Qᵀ X (l x d). X ≈ Q B and B = U S Vᵀ, so the scores X V = Q U S; U and S² come from B Bᵀ (l x l).
        var b = TransposeMultiply(data, n, d, q, l, parallel);
        var gram = new double[l, l];
        for (var i = 0; i < l; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                gram[i, j] = gram[j, i] = TensorPrimitives.Dot(b.AsSpan(i * d, d), b.AsSpan(j * d, d));
            }
        }

        var (values, vectors) = SymmetricEigen.Decompose(gram);
        var mix = new float[l * k];
        for (var c = 0; c < k; c++)
        {
            var scale = Math.Sqrt(Math.Max(0, values[c]));
            for (var j = 0; j < l; j++)
            {
                mix[j * k + c] = (float)(vectors[j, c] * scale);
            }
        }

        var scores = new float[(long)n * k];
        Parallel.For(0, Chunks(n), parallel, chunk =>
        {
            var (start, end) = Range(chunk, n);
            for (var i = start; i < end; i++)
            {
                var row = scores.AsSpan(i * k, k);
                for (var j = 0; j < l; j++)
                {
                    TensorPrimitives.MultiplyAdd(mix.AsSpan(j * k, k), q[i * l + j], row, row);
                }
            }
        });
        return scores;
    }

    private static int Chunks(int n) => (n + ChunkRows - 1) / ChunkRows;

    private static (int Start, int End) Range(int chunk, int n) => (chunk * ChunkRows, Math.Min(n, (chunk + 1) * ChunkRows));

    private static void Centre(float[] data, int n, int d, ParallelOptions parallel)
    {
        var partial = new double[Chunks(n)][];
        Parallel.For(0, partial.Length, parallel, chunk =>
        {
            var sum = new double[d];
            var (start, end) = Range(chunk, n);
            for (var i = start; i < end; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    sum[j] += data[i * d + j];
                }
            }

            partial[chunk] = sum;
        });
        var mean = new float[d];
        for (var j = 0; j < d; j++)
        {
            var total = 0.0;
            foreach (var sum in partial)
            {
                total += sum[j];
            }

            mean[j] = (float)(total / Math.Max(1, n));
        }

        Parallel.For(0, partial.Length, parallel, chunk =>
        {
            var (start, end) = Range(chunk, n);
            for (var i = start; i < end; i++)
            {
                TensorPrimitives.Subtract(data.AsSpan(i * d, d), mean, data.AsSpan(i * d, d));
            }
        });
    }

    /// <summary>X (n x d) times Mᵀ where M is l x d: an n x l result.</summary>
    private static float[] MultiplyTransposed(float[] x, int n, int d, float[] m, int l, ParallelOptions parallel)
    {
        var result = new float[(long)n * l];
        Parallel.For(0, Chunks(n), parallel, chunk =>
        {
            var (start, end) = Range(chunk, n);
            for (var i = start; i < end; i++)
            {
                var row = x.AsSpan(i * d, d);
                for (var j = 0; j < l; j++)
                {
                    result[i * l + j] = TensorPrimitives.Dot(row, m.AsSpan(j * d, d));
                }
            }
        });
        return result;
    }

    /// <summary>Yᵀ X where Y is n x l: an l x d result, summed per chunk and then in chunk order.</summary>
    private static float[] TransposeMultiply(float[] x, int n, int d, float[] y, int l, ParallelOptions parallel)
    {
        var partial = new float[Chunks(n)][];
        Parallel.For(0, partial.Length, parallel, chunk =>
        {
            var sum = new float[l * d];
            var (start, end) = Range(chunk, n);
            for (var i = start; i < end; i++)
            {
                var row = x.AsSpan(i * d, d);
                for (var j = 0; j < l; j++)
                {
                    var target = sum.AsSpan(j * d, d);
                    TensorPrimitives.MultiplyAdd(row, y[i * l + j], target, target);
                }
            }

            partial[chunk] = sum;
        });
        var result = partial[0];
        for (var c = 1; c < partial.Length; c++)
        {
            TensorPrimitives.Add(result, partial[c], result);
        }

        return result;
    }

    /// <summary>Orthonormal columns of an n x l matrix (transposed so that the sweeps run over contiguous rows); a column that vanishes stays zero.</summary>
    private static void Orthonormalise(float[] a, int n, int l)
    {
        var t = new float[(long)l * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < l; j++)
            {
                t[j * n + i] = a[i * l + j];
            }
        }

        OrthonormaliseRows(t, l, n);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < l; j++)
            {
                a[i * l + j] = t[j * n + i];
            }
        }
    }

    /// <summary>Modified Gram-Schmidt on the l rows of an l x d matrix, twice (one pass in float leaves the rows slightly skew).</summary>
    private static void OrthonormaliseRows(float[] a, int l, int d)
    {
        for (var pass = 0; pass < 2; pass++)
        {
            OrthonormaliseRowsOnce(a, l, d);
        }
    }

    private static void OrthonormaliseRowsOnce(float[] a, int l, int d)
    {
        for (var j = 0; j < l; j++)
        {
            var row = a.AsSpan(j * d, d);
            for (var p = 0; p < j; p++)
            {
                var prior = a.AsSpan(p * d, d);
                TensorPrimitives.MultiplyAdd(prior, -TensorPrimitives.Dot(row, prior), row, row);
            }

            var norm = TensorPrimitives.Norm(row);
            if (norm > 1e-12f)
            {
                TensorPrimitives.Divide(row, norm, row);
            }
            else
            {
                row.Clear();
            }
        }
    }
}
