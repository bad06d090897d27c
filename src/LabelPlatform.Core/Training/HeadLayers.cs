using System.Numerics.Tensors;

namespace LabelPlatform.Core.Training;

/// <summary>
/// The head's layers as forward and backward functions on spans, shared by inference, training and the gradient
/// checks. Dense weights are output-major (row j holds output j's input weights), so a forward pass is one dot
/// product per output. Backward functions add to parameter gradients (a batch accumulates them) and overwrite the
/// gradient they pass down.
/// </summary>
internal static class HeadLayers
{
    /// <summary>y = W x + b.</summary>
    public static void Dense(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y) =>
        DenseRows(weights, bias, x, 1, y);

    /// <summary>gW += dy xᵀ and gB += dy; when <paramref name="dx"/> is not empty, dx = Wᵀ dy.</summary>
    public static void DenseBackward(ReadOnlySpan<float> weights, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> weightGradient, Span<float> biasGradient, Span<float> dx) =>
        DenseBackwardRows(weights, x, dy, 1, weightGradient, biasGradient[..dy.Length], dx);

    /// <summary>
    /// <see cref="Dense"/> for <paramref name="count"/> rows at once: the same dot products, bit for bit, but a block of
    /// weight rows stays in cache while every input row passes, instead of all the weights being read again per row
    /// (a 1280 x 1024 layer is 5 MB, far more than a core's cache).
    /// </summary>
    public static void DenseRows(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> inputs, int count, Span<float> outputs)
    {
        var m = bias.Length;
        var n = weights.Length / m;
        foreach (var (start, end) in Blocks(m, n))
        {
            for (var i = 0; i < count; i++)
            {
                var x = inputs.Slice(i * n, n);
                var y = outputs.Slice(i * m, m);
                for (var j = start; j < end; j++)
                {
                    y[j] = TensorPrimitives.Dot(weights.Slice(j * n, n), x) + bias[j];
                }
            }
        }
    }

    /// <summary>
    /// <see cref="DenseBackward"/> for <paramref name="count"/> rows at once, bit for bit: every gradient element adds the
    /// rows' contributions in row order and every dx row adds the outputs' in output order, as row-by-row calls would,
    /// with a block of weight (and weight-gradient) rows kept in cache across the rows.
    /// </summary>
    public static void DenseBackwardRows(ReadOnlySpan<float> weights, ReadOnlySpan<float> inputs, ReadOnlySpan<float> outputGradients, int count, Span<float> weightGradient, Span<float> biasGradient, Span<float> inputGradients)
    {
        var m = biasGradient.Length;
        var n = weights.Length / m;
        foreach (var (start, end) in Blocks(m, n))
        {
            for (var i = 0; i < count; i++)
            {
                var x = inputs.Slice(i * n, n);
                var dy = outputGradients.Slice(i * m, m);
                for (var j = start; j < end; j++)
                {
                    if (dy[j] != 0)
                    {
                        var row = weightGradient.Slice(j * n, n);
                        TensorPrimitives.MultiplyAdd(x, dy[j], row, row);
                    }
                }
            }
        }

        for (var i = 0; i < count; i++)
        {
            TensorPrimitives.Add(biasGradient, outputGradients.Slice(i * m, m), biasGradient);
        }

        if (inputGradients.IsEmpty)
        {
            return;
        }

        inputGradients[..(count * n)].Clear();
        foreach (var (start, end) in Blocks(m, n))
        {
            for (var i = 0; i < count; i++)
            {
                var dy = outputGradients.Slice(i * m, m);
                var dx = inputGradients.Slice(i * n, n);
                for (var j = start; j < end; j++)
                {
                    if (dy[j] != 0)
                    {
                        TensorPrimitives.MultiplyAdd(weights.Slice(j * n, n), dy[j], dx, dx);
                    }
                }
            }
        }
    }

    /// <summary>Ranges of the <paramref name="m"/> weight rows of length <paramref name="n"/>, about 128 KB each: with the matching gradient rows and an input row a block stays in L2.</summary>
    private static IEnumerable<(int Start, int End)> Blocks(int m, int n)
    {
        var block = Math.Max(1, 32768 / n);
        for (var start = 0; start < m; start += block)
        {
            yield return (start, Math.Min(m, start + block));
        }
    }

    /// <summary>h = max(h, 0) in place.</summary>
    public static void Relu(Span<float> h) => TensorPrimitives.Max(h, 0f, h);

    /// <summary>Zeroes dh where the ReLU's output <paramref name="h"/> was clamped (its input was not positive).</summary>
    public static void ReluBackward(ReadOnlySpan<float> h, Span<float> dh)
    {
        for (var k = 0; k < h.Length; k++)
        {
            if (h[k] <= 0)
            {
                dh[k] = 0;
            }
        }
    }

    /// <summary>v = v / |v| in place (a zero vector stays zero); returns |v|, which the backward pass needs.</summary>
    public static float L2Normalise(Span<float> v)
    {
        var norm = TensorPrimitives.Norm(v);
        if (norm > 0)
        {
            TensorPrimitives.Divide(v, norm, v);
        }

        return norm;
    }

    /// <summary>Through z = u / |u|: du = (dz - z (z · dz)) / |u|, given the unit output z and the norm |u|.</summary>
    public static void L2NormaliseBackward(ReadOnlySpan<float> z, float norm, ReadOnlySpan<float> dz, Span<float> du)
    {
        TensorPrimitives.Multiply(z, -TensorPrimitives.Dot(z, dz), du);
        TensorPrimitives.Add(du, dz, du);
        TensorPrimitives.Divide(du, Math.Max(norm, 1e-12f), du);
    }
}
