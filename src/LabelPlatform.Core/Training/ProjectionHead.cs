namespace LabelPlatform.Core.Training;

/// <summary>
/// A learned map from a base model's (unit) embedding to a new unit embedding: an optional hidden ReLU layer, then a
/// linear layer, then L2 normalisation. Weights are stored output-major (row j holds output j's input weights), so a
/// forward pass is one dot product per output.
/// </summary>
public sealed class ProjectionHead
{
    public ProjectionHead(int input, int hidden, int output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(input, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(output, 1);
        Input = input;
        Hidden = hidden;
        Output = output;
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

    /// <summary>First layer: [hidden or output] x input.</summary>
    public float[] W1 { get; }
    public float[] B1 { get; }

    /// <summary>Second layer (hidden heads only): output x hidden.</summary>
    public float[] W2 { get; }
    public float[] B2 { get; }

    /// <summary>Writes the unit embedding of <paramref name="x"/> into <paramref name="z"/>; returns the pre-normalisation norm.</summary>
    public float Forward(ReadOnlySpan<float> x, Span<float> z, Span<float> hiddenActivations = default)
    {
        if (Hidden == 0)
        {
            HeadLayers.Dense(W1, B1, x, z);
        }
        else
        {
            var h = hiddenActivations.Length >= Hidden ? hiddenActivations[..Hidden] : new float[Hidden];
            HeadLayers.Dense(W1, B1, x, h);
            HeadLayers.Relu(h);
            HeadLayers.Dense(W2, B2, h, z);
        }

        return HeadLayers.L2Normalise(z);
    }

    public float[] Embed(ReadOnlySpan<float> x)
    {
        var z = new float[Output];
        Forward(x, z);
        return z;
    }
}
