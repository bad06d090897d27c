using System.Numerics.Tensors;

namespace LabelPlatform.Core.Training;

/// <summary>
/// A regulariser that keeps the base model's neighbourhoods, so the head has less room to overfit the training
/// classes: λ · mean over ordered pairs i ≠ j of a batch of (z_i·z_j - x̂_i·x̂_j)², z the head's unit outputs and x̂
/// the unit inputs (the base model's cosine similarities).
/// </summary>
internal sealed class NeighbourhoodLoss(int inputDimension, int outputDimension, float weight)
{
    /// <summary>
    /// The regulariser of the batch's <paramref name="inputs"/> and <paramref name="embeddings"/> (row by row); adds
    /// its gradient w.r.t. the embeddings to <paramref name="embeddingGradient"/>.
    /// </summary>
    public double Forward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> embeddings, Span<float> embeddingGradient)
    {
        var b = embeddings.Length / outputDimension;
        if (b < 2)
        {
            return 0;
        }

        Span<float> inputNorms = b <= 1024 ? stackalloc float[b] : new float[b];
        for (var i = 0; i < b; i++)
        {
            inputNorms[i] = Math.Max(TensorPrimitives.Norm(inputs.Slice(i * inputDimension, inputDimension)), 1e-12f);
        }

        // Each unordered pair stands for (i, j) and (j, i): d/dz_i of λ/(b(b-1)) Σ_{i≠j} d_ij² is 4λ/(b(b-1)) Σ_j d_ij z_j.
        var pairs = (double)b * (b - 1);
        var coefficient = (float)(4 * weight / pairs);
        double sum = 0;
        for (var i = 0; i < b; i++)
        {
            var xi = inputs.Slice(i * inputDimension, inputDimension);
            var zi = embeddings.Slice(i * outputDimension, outputDimension);
            var dzi = embeddingGradient.Slice(i * outputDimension, outputDimension);
            for (var j = i + 1; j < b; j++)
            {
                var zj = embeddings.Slice(j * outputDimension, outputDimension);
                var baseSimilarity = TensorPrimitives.Dot(xi, inputs.Slice(j * inputDimension, inputDimension)) / (inputNorms[i] * inputNorms[j]);
                var difference = TensorPrimitives.Dot(zi, zj) - baseSimilarity;
                sum += 2.0 * difference * difference;
                TensorPrimitives.MultiplyAdd(zj, coefficient * difference, dzi, dzi);
                var dzj = embeddingGradient.Slice(j * outputDimension, outputDimension);
                TensorPrimitives.MultiplyAdd(zi, coefficient * difference, dzj, dzj);
            }
        }

        return weight * sum / pairs;
    }
}
