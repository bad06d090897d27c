namespace LabelPlatform.Core.Maps.Umap;

/// <summary>Cyclic Jacobi eigen-decomposition of a small symmetric matrix (the l x l sketch of <see cref="Pca"/>).</summary>
public static class SymmetricEigen
{
    /// <summary>Eigenvalues in descending order and the matching unit eigenvectors as columns.</summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix)
    {
        var n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var v = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            v[i, i] = 1;
        }

        for (var sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, total = 0;
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    total += a[i, j] * a[i, j];
                    if (i != j)
                    {
                        off += a[i, j] * a[i, j];
                    }
                }
            }

            if (off <= 1e-22 * Math.Max(total, double.Epsilon))
            {
                break;
            }

            for (var p = 0; p < n - 1; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-300)
                    {
                        continue;
                    }

                    // The rotation that zeroes a[p, q] (Golub and Van Loan, algorithm 8.4.2).
                    var theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    var t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        var akp = a[k, p];
                        var akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }

                    for (var k = 0; k < n; k++)
                    {
                        var apk = a[p, k];
                        var aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }

                    for (var k = 0; k < n; k++)
                    {
                        var vkp = v[k, p];
                        var vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
            }
        }

        var order = Enumerable.Range(0, n).OrderByDescending(i => a[i, i]).ToArray();
        var values = order.Select(i => a[i, i]).ToArray();
        var vectors = new double[n, n];
        for (var c = 0; c < n; c++)
        {
            // A fixed sign (largest component positive), so the layout does not flip between equal runs.
            var column = order[c];
            var largest = 0;
            for (var k = 1; k < n; k++)
            {
                if (Math.Abs(v[k, column]) > Math.Abs(v[largest, column]))
                {
                    largest = k;
                }
            }

            var sign = v[largest, column] < 0 ? -1 : 1;
            for (var k = 0; k < n; k++)
            {
                vectors[k, c] = sign * v[k, column];
            }
        }

        return (values, vectors);
    }
}
