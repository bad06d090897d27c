namespace LabelPlatform.Core.Training;

/// <summary>Gradients of a <see cref="ProjectionHead"/>'s parameters, shaped like them (empty W2/B2 for a linear head).</summary>
internal sealed record HeadGradients(float[] W1, float[] B1, float[] W2, float[] B2)
{
    public static HeadGradients For(ProjectionHead head) =>
        new(new float[head.W1.Length], new float[head.B1.Length], new float[head.W2.Length], new float[head.B2.Length]);
}

/// <summary>
/// A head's forward pass over a batch, keeping what the backward pass needs (hidden activations, unit outputs and
/// their norms), and the backward pass from the gradient w.r.t. the unit outputs into the head's parameter gradients.
/// Inputs are the batch's rows, contiguous.
/// </summary>
internal sealed class HeadBackprop
{
    private readonly ProjectionHead _head;
    private readonly float[] _hidden;
    private readonly float[] _norms;
    private readonly float[] _du;
    private readonly float[] _dh;

    public HeadBackprop(ProjectionHead head, int batchCapacity)
    {
        _head = head;
        _hidden = new float[Math.Max(1, batchCapacity * head.Hidden)];
        _norms = new float[batchCapacity];
        _du = new float[batchCapacity * head.Output];
        _dh = new float[Math.Max(1, batchCapacity * head.Hidden)];
        Outputs = new float[batchCapacity * head.Output];
    }

    /// <summary>The unit outputs of the last <see cref="Forward"/>, row by row (only its first rows are that batch's).</summary>
    public float[] Outputs { get; }

    public void Forward(ReadOnlySpan<float> inputs, int count) =>
        _head.ForwardRows(inputs, count, Outputs, _head.Hidden > 0 ? _hidden : default, _norms);

    /// <summary>Adds to <paramref name="gradients"/> the gradient of the loss whose gradient w.r.t. the last forward's outputs is <paramref name="outputGradient"/>.</summary>
    public void Backward(ReadOnlySpan<float> inputs, ReadOnlySpan<float> outputGradient, int count, HeadGradients gradients)
    {
        int hidden = _head.Hidden, output = _head.Output;
        for (var i = 0; i < count; i++)
        {
            HeadLayers.L2NormaliseBackward(Outputs.AsSpan(i * output, output), _norms[i], outputGradient.Slice(i * output, output), _du.AsSpan(i * output, output));
        }

        if (hidden == 0)
        {
            HeadLayers.DenseBackwardRows(_head.W1, inputs, _du, count, gradients.W1, gradients.B1, default);
            return;
        }

        // A residual head's skip connection adds the frozen input, which has no parameter: the same gradients.
        HeadLayers.DenseBackwardRows(_head.W2, _hidden, _du, count, gradients.W2, gradients.B2, _dh);
        for (var i = 0; i < count; i++)
        {
            HeadLayers.ReluBackward(_hidden.AsSpan(i * hidden, hidden), _dh.AsSpan(i * hidden, hidden));
        }

        HeadLayers.DenseBackwardRows(_head.W1, inputs, _dh, count, gradients.W1, gradients.B1, default);
    }
}
