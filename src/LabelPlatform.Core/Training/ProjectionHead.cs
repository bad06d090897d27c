using System.Numerics.Tensors;

namespace LabelPlatform.Core.Training;

/// <summary>
/// A learned map from a base model's (unit) embedding to a new unit embedding: an optional hidden ReLU layer, then a
/// linear layer, then L2 normalisation; a residual head adds its input before the normalisation. Weights are stored
/// output-major (row j holds output j's input weights), so a forward pass is one dot product per output.
/// </summary>
public sealed class ProjectionHead
{
    public ProjectionHead(int input, int hidden, int output, bool residual = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(input, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(output, 1);
        if (residual && (hidden == 0 || output != input))
        {
            throw new ArgumentException($"a residual head needs hidden units and its input's dimension as output, not {input} -> {hidden} -> {output}", nameof(residual));
        }

        Input = input;
        Hidden = hidden;
        Output = output;
        Residual = residual;
        var first = hidden > 0 ? hidden : output;
        W1 = new float[first * input];
        B1 = new float[first];
        W2 = hidden > 0 ? new float[output * hidden] : [];
        B2 = hidden > 0 ? new float[output] : [];
    }

    public int Input { get; }

    /// <summary>Units of the hidden ReLU layer; 0 for a linear head.</summary>
    public int Hidden { get; }

    public int Output { get; }

    /// <summary>z = L2norm(x + W2 ReLU(W1 x + b1) + b2) instead of L2norm(W2 ReLU(W1 x + b1) + b2); export code must add the skip connection.</summary>
    public bool Residual { get; }

    /// <summary>
    /// At inference (<see cref="Embed"/>), a residual head's learned correction is scaled by this before it is added to
    /// the base vector: 1 as trained, lower keeps more of the base. Training always runs at 1.
    /// </summary>
    public float Correction { get; set; } = 1;

    /// <summary>
    /// At inference, the share s of the base similarity mixed back in: with s above 0 <see cref="Embed"/> returns the unit
    /// vector [√s·x, √(1−s)·z], whose dot products are s·cos_base + (1−s)·cos_head. 0 returns z alone.
    /// </summary>
    public float BaseShare { get; set; }

    /// <summary>Length of <see cref="Embed"/>'s vectors: the output, plus the input when the base is mixed in.</summary>
    public int EmbeddingDimension => BaseShare > 0 ? Input + Output : Output;

    /// <summary>First layer: [hidden or output] x input.</summary>
    public float[] W1 { get; }
    public float[] B1 { get; }

    /// <summary>Second layer (hidden heads only): output x hidden.</summary>
    public float[] W2 { get; }
    public float[] B2 { get; }

    /// <summary>Writes the unit embedding of <paramref name="x"/> into <paramref name="z"/>; returns the pre-normalisation norm.</summary>
    public float Forward(ReadOnlySpan<float> x, Span<float> z, Span<float> hiddenActivations = default, float correction = 1)
    {
        Span<float> norm = stackalloc float[1];
        ForwardRows(x, 1, z, hiddenActivations, norm, correction);
        return norm[0];
    }

    /// <summary>
    /// <see cref="Forward"/> for <paramref name="count"/> rows at once, bit for bit the same (each row's dot products and
    /// element-wise steps are the same operations), with the layers' weights read once per block of rows instead of
    /// once per row. <paramref name="hiddenActivations"/> (count x Hidden) receives the hidden layer when not empty;
    /// <paramref name="norms"/> the pre-normalisation norms.
    /// </summary>
    public void ForwardRows(ReadOnlySpan<float> inputs, int count, Span<float> outputs, Span<float> hiddenActivations, Span<float> norms, float correction = 1)
    {
        if (Hidden == 0)
        {
            HeadLayers.DenseRows(W1, B1, inputs, count, outputs);
        }
        else
        {
            var h = hiddenActivations.Length >= count * Hidden ? hiddenActivations[..(count * Hidden)] : new float[count * Hidden];
            HeadLayers.DenseRows(W1, B1, inputs, count, h);
            HeadLayers.Relu(h);
            HeadLayers.DenseRows(W2, B2, h, count, outputs);
        }

        for (var i = 0; i < count; i++)
        {
            var z = outputs.Slice(i * Output, Output);
            if (Hidden > 0 && Residual)
            {
                if (correction != 1)
                {
                    TensorPrimitives.Multiply(z, correction, z);
                }

                TensorPrimitives.Add(z, inputs.Slice(i * Input, Input), z);
            }

            norms[i] = HeadLayers.L2Normalise(z);
        }
    }

    /// <summary>The vector search uses: the head's output with <see cref="Correction"/> and <see cref="BaseShare"/> applied.</summary>
    public float[] Embed(ReadOnlySpan<float> x)
    {
        var z = new float[Output];
        Forward(x, z, default, Correction);
        if (BaseShare <= 0)
        {
            return z;
        }

        var mixed = new float[Input + Output];
        var unit = mixed.AsSpan(0, Input);
        x.CopyTo(unit);
        HeadLayers.L2Normalise(unit);
        TensorPrimitives.Multiply(unit, MathF.Sqrt(BaseShare), unit);
        TensorPrimitives.Multiply(z, MathF.Sqrt(1 - BaseShare), mixed.AsSpan(Input));
        return mixed;
    }
}
