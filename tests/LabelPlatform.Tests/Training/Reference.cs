using LabelPlatform.Core.Training;

namespace LabelPlatform.Tests.Training;

/// <summary>
/// The head's layers and the losses in double precision, written from their definitions, for the finite differences
/// of <see cref="GradientCheck"/>. Each test also checks that the float32 forward pass computes the same values.
/// </summary>
internal static class Reference
{
    public static double[] ToDouble(ReadOnlySpan<float> values) => [.. values.ToArray().Select(v => (double)v)];

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>y = W x + b, W output-major.</summary>
    public static double[] Dense(float[] weights, float[] bias, double[] x)
    {
        var y = new double[bias.Length];
        for (var j = 0; j < y.Length; j++)
        {
            y[j] = bias[j] + Dot(ToDouble(weights.AsSpan(j * x.Length, x.Length)), x);
        }

        return y;
    }

    public static double[] Relu(double[] a) => [.. a.Select(v => Math.Max(v, 0))];

    public static double[] L2Normalise(double[] u)
    {
        var norm = Math.Sqrt(Dot(u, u));
        return [.. u.Select(v => v / norm)];
    }

    /// <summary>The head's unit outputs for <paramref name="rows"/> contiguous input rows (a residual head adds its input before normalising).</summary>
    public static double[] Head(ProjectionHead head, float[] inputs, int rows)
    {
        var outputs = new double[rows * head.Output];
        for (var i = 0; i < rows; i++)
        {
            var x = ToDouble(inputs.AsSpan(i * head.Input, head.Input));
            var u = head.Hidden == 0 ? Dense(head.W1, head.B1, x) : Dense(head.W2, head.B2, Relu(Dense(head.W1, head.B1, x)));
            if (head.Residual)
            {
                u = [.. u.Zip(x, (a, b) => a + b)];
            }

            L2Normalise(u).CopyTo(outputs, i * head.Output);
        }

        return outputs;
    }

    /// <summary>Mean over rows of -log softmax(scale · cos(z_i, p_c))[target_i].</summary>
    public static double ProxySoftmax(float[] embeddings, int[] targets, float[] proxies, int classes, int dimension, double scale)
    {
        var unitProxies = Enumerable.Range(0, classes).Select(c => L2Normalise(ToDouble(proxies.AsSpan(c * dimension, dimension)))).ToArray();
        double loss = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            var z = ToDouble(embeddings.AsSpan(i * dimension, dimension));
            var logits = unitProxies.Select(p => scale * Dot(z, p)).ToArray();
            loss += Math.Log(logits.Sum(Math.Exp)) - logits[targets[i]];
        }

        return loss / targets.Length;
    }

    /// <summary>weight · mean over ordered pairs i ≠ j of (z_i·z_j - cos(x_i, x_j))².</summary>
    public static double Neighbourhood(float[] inputs, int inputDimension, float[] embeddings, int outputDimension, double weight)
    {
        var rows = embeddings.Length / outputDimension;
        var x = Enumerable.Range(0, rows).Select(i => L2Normalise(ToDouble(inputs.AsSpan(i * inputDimension, inputDimension)))).ToArray();
        var z = Enumerable.Range(0, rows).Select(i => ToDouble(embeddings.AsSpan(i * outputDimension, outputDimension))).ToArray();
        double sum = 0;
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < rows; j++)
            {
                if (i != j)
                {
                    var difference = Dot(z[i], z[j]) - Dot(x[i], x[j]);
                    sum += difference * difference;
                }
            }
        }

        return weight * sum / (rows * (rows - 1));
    }

    /// <summary>Σ over anchors of max(0, margin + d(a, farthest positive) - d(a, nearest negative)) / rows, d = sqrt(2 - 2 za·zj).</summary>
    public static double BatchHardTriplet(float[] embeddings, int[] labels, int[] images, int dimension, double margin)
    {
        var z = Enumerable.Range(0, labels.Length).Select(i => ToDouble(embeddings.AsSpan(i * dimension, dimension))).ToArray();
        double loss = 0;
        for (var a = 0; a < labels.Length; a++)
        {
            double far = -1, near = double.MaxValue;
            for (var j = 0; j < labels.Length; j++)
            {
                var distance = Math.Sqrt(Math.Max(2 - (2 * Dot(z[a], z[j])), 1e-12));
                if (j != a && labels[j] == labels[a] && images[j] != images[a])
                {
                    far = Math.Max(far, distance);
                }
                else if (labels[j] != labels[a])
                {
                    near = Math.Min(near, distance);
                }
            }

            if (far >= 0 && near < double.MaxValue)
            {
                loss += Math.Max(0, margin + far - near);
            }
        }

        return loss / labels.Length;
    }
}
