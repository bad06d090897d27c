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
    public static void Dense(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y)
    {
        var n = x.Length;
        for (var j = 0; j < y.Length; j++)
        {
            y[j] = TensorPrimitives.Dot(weights.Slice(j * n, n), x) + bias[j];
        }
    }

    /// <summary>gW += dy xᵀ and gB += dy; when <paramref name="dx"/> is not empty, dx = Wᵀ dy.</summary>
    public static void DenseBackward(ReadOnlySpan<float> weights, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> weightGradient, Span<float> biasGradient, Span<float> dx)
    {
        var n = x.Length;
        for (var j = 0; j < dy.Length; j++)
        {
            if (dy[j] != 0)
            {
                var row = weightGradient.Slice(j * n, n);
                TensorPrimitives.MultiplyAdd(x, dy[j], row, row);
            }
        }

        TensorPrimitives.Add(biasGradient[..dy.Length], dy, biasGradient[..dy.Length]);
        if (dx.IsEmpty)
        {
            return;
        }

        dx.Clear();
        for (var j = 0; j < dy.Length; j++)
        {
            if (dy[j] != 0)
            {
                TensorPrimitives.MultiplyAdd(weights.Slice(j * n, n), dy[j], dx, dx);
            }
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
