using System.Numerics.Tensors;

namespace LabelPlatform.Core.Training;

/// <summary>
/// Batch-hard triplet loss (Hermans et al. 2017) on Euclidean distances between unit vectors: each anchor's hardest
/// (farthest) positive should be nearer than its hardest (nearest) negative by a margin; summed hinge over anchors
/// divided by the batch size.
/// </summary>
internal sealed class BatchHardTripletLoss(int dimension, float margin)
{
    /// <summary>
    /// The loss of the batch's unit <paramref name="embeddings"/>; row i has class <paramref name="labels"/>[i] and
    /// shows image <paramref name="images"/>[i] (a batch may draw an image twice: a copy is never its own positive).
    /// Adds the gradient w.r.t. the embeddings to <paramref name="embeddingGradient"/>.
    /// </summary>
    public double Forward(ReadOnlySpan<float> embeddings, ReadOnlySpan<int> labels, ReadOnlySpan<int> images, Span<float> embeddingGradient)
    {
        var b = labels.Length;
        double loss = 0;
        for (var a = 0; a < b; a++)
        {
            var za = embeddings.Slice(a * dimension, dimension);
            int positive = -1, negative = -1;
            float far = -1, near = float.MaxValue;
            for (var j = 0; j < b; j++)
            {
                if (j == a)
                {
                    continue;
                }

                var distance = MathF.Sqrt(MathF.Max(2 - (2 * TensorPrimitives.Dot(za, embeddings.Slice(j * dimension, dimension))), 1e-12f));
                if (labels[j] == labels[a])
                {
                    if (distance > far && images[j] != images[a])
                    {
                        (far, positive) = (distance, j);
                    }
                }
                else if (distance < near)
                {
                    (near, negative) = (distance, j);
                }
            }

            if (positive < 0 || negative < 0 || margin + far - near <= 0)
            {
                continue;
            }

            loss += margin + far - near;
            // d(a,p) = sqrt(2 - 2 za.zp): d/dza = -zp / d, d/dzp = -za / d.
            var zp = embeddings.Slice(positive * dimension, dimension);
            var zn = embeddings.Slice(negative * dimension, dimension);
            var dza = embeddingGradient.Slice(a * dimension, dimension);
            TensorPrimitives.MultiplyAdd(zp, -1f / far / b, dza, dza);
            TensorPrimitives.MultiplyAdd(zn, 1f / near / b, dza, dza);
            var dzp = embeddingGradient.Slice(positive * dimension, dimension);
            TensorPrimitives.MultiplyAdd(za, -1f / far / b, dzp, dzp);
            var dzn = embeddingGradient.Slice(negative * dimension, dimension);
            TensorPrimitives.MultiplyAdd(za, 1f / near / b, dzn, dzn);
        }

        return loss / b;
    }
}
