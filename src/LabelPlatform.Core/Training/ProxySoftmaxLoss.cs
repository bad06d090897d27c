using System.Numerics.Tensors;

namespace LabelPlatform.Core.Training;

/// <summary>
/// Normalised softmax over one learned proxy per class: logits are the cosines between a unit embedding and the unit
/// proxies times a scale, and the loss is their cross-entropy with the image's class, averaged over the batch.
/// </summary>
internal sealed class ProxySoftmaxLoss(int classes, int dimension, float scale)
{
    private readonly float[] _unitProxies = new float[classes * dimension];
    private readonly float[] _proxyNorms = new float[classes];
    private readonly float[] _unitProxyGradient = new float[classes * dimension];
    private readonly float[] _proxyRowGradient = new float[dimension];
    private readonly float[] _logits = new float[classes];

    /// <summary>
    /// The mean loss of the batch's unit <paramref name="embeddings"/> (row i of class <paramref name="targets"/>[i]);
    /// adds its gradient w.r.t. the embeddings to <paramref name="embeddingGradient"/> and w.r.t. the raw
    /// (unnormalised) proxies to <paramref name="proxyGradient"/>.
    /// </summary>
    public double Forward(ReadOnlySpan<float> embeddings, ReadOnlySpan<int> targets, ReadOnlySpan<float> proxies, Span<float> embeddingGradient, Span<float> proxyGradient)
    {
        for (var c = 0; c < classes; c++)
        {
            var p = proxies.Slice(c * dimension, dimension);
            var norm = Math.Max(TensorPrimitives.Norm(p), 1e-12f);
            _proxyNorms[c] = norm;
            TensorPrimitives.Divide(p, norm, _unitProxies.AsSpan(c * dimension, dimension));
        }

        Array.Clear(_unitProxyGradient);
        var b = targets.Length;
        double loss = 0;
        for (var i = 0; i < b; i++)
        {
            var z = embeddings.Slice(i * dimension, dimension);
            for (var c = 0; c < classes; c++)
            {
                _logits[c] = scale * TensorPrimitives.Dot(z, _unitProxies.AsSpan(c * dimension, dimension));
            }

            var max = TensorPrimitives.Max<float>(_logits);
            double sum = 0;
            for (var c = 0; c < classes; c++)
            {
                sum += Math.Exp(_logits[c] - max);
            }

            var target = targets[i];
            loss += -(_logits[target] - max - Math.Log(sum));
            var dz = embeddingGradient.Slice(i * dimension, dimension);
            for (var c = 0; c < classes; c++)
            {
                // d loss / d logit = softmax - one-hot, then times the scale for d logit / d cosine.
                var g = (float)((Math.Exp(_logits[c] - max) / sum) - (c == target ? 1 : 0)) / b * scale;
                if (Math.Abs(g) < 1e-12f)
                {
                    continue;
                }

                TensorPrimitives.MultiplyAdd(_unitProxies.AsSpan(c * dimension, dimension), g, dz, dz);
                var dp = _unitProxyGradient.AsSpan(c * dimension, dimension);
                TensorPrimitives.MultiplyAdd(z, g, dp, dp);
            }
        }

        // The proxies learn through their normalisation u = p / |p|, as the embeddings do through theirs.
        for (var c = 0; c < classes; c++)
        {
            var row = c * dimension;
            HeadLayers.L2NormaliseBackward(_unitProxies.AsSpan(row, dimension), _proxyNorms[c], _unitProxyGradient.AsSpan(row, dimension), _proxyRowGradient);
            var dp = proxyGradient.Slice(row, dimension);
            TensorPrimitives.Add(dp, _proxyRowGradient, dp);
        }

        return loss / b;
    }
}
