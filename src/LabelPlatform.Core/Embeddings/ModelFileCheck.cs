using Microsoft.ML.OnnxRuntime;

namespace LabelPlatform.Core.Embeddings;

/// <summary>A model file that passed the checks, in the form the platform runs (with a pooled output added when one was needed).</summary>
public sealed record CheckedModel(byte[] Onnx, string InputName, string OutputName, string? DerivedFromTensor, int Dimension, int? FixedBatchSize, bool Quantized);

/// <summary>
/// The checks an ONNX file must pass before it is registered: one image-shaped float input that fits the
/// preprocessing, the named tensor exists, and one check image gives a finite vector of the right length. A tensor
/// that is an intermediate feature map gets a GlobalAveragePool + Flatten output.
/// </summary>
public static class ModelFileCheck
{
    public const string PooledOutputName = "embedding";

    public static CheckedModel Check(ModelRegistration registration, byte[] onnx, float[] checkImage)
    {
        IReadOnlyList<OnnxTensorInfo> tensors;
        try
        {
            tensors = OnnxGraphEditor.ListTensors(onnx);
        }
        catch (OnnxModelException ex)
        {
            throw new EmbeddingException($"not a usable ONNX model: {ex.Message}", ex);
        }

        var inputs = tensors.Where(t => t.Kind == "input").ToList();
        if (inputs.Count != 1)
        {
            throw new EmbeddingException($"the model has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); one image input is needed");
        }

        var input = inputs[0];
        var fixedBatch = CheckInput(input, registration.Preprocessing);
        var target = tensors.FirstOrDefault(t => t.Name == registration.Tensor)
            ?? throw new EmbeddingException($"tensor '{registration.Tensor}' is not in the model; its outputs are: {string.Join(", ", tensors.Where(t => t.Kind == "output").Select(t => t.Name))}");

        var final = onnx;
        var outputName = target.Name;
        string? derivedFrom = null;
        var spatial = target.Shape is { Count: 4 } s && (s[2] != 1 || s[3] != 1);
        if (target.Kind != "output" || spatial)
        {
            outputName = tensors.Any(t => t.Name == PooledOutputName) ? $"{PooledOutputName}_{target.Name}" : PooledOutputName;
            try
            {
                final = OnnxGraphEditor.AddPooledOutput(onnx, target.Name, outputName);
            }
            catch (OnnxModelException ex)
            {
                throw new EmbeddingException($"could not add a pooled output to '{target.Name}': {ex.Message}", ex);
            }

            derivedFrom = target.Name;
        }

        int dimension;
        using (var probe = new ModelProbe(final, input.Name, outputName, registration.Preprocessing, fixedBatch, precise: false))
        {
            dimension = probe.Embed(checkImage).Length;
        }

        if (registration.ExpectedDimension is { } expected && expected != dimension)
        {
            throw new EmbeddingException($"the model gives {dimension}-d vectors from '{outputName}'; {expected} were expected");
        }

        return new CheckedModel(final, input.Name, outputName, derivedFrom, dimension, fixedBatch, OnnxDequantizer.IsQuantized(final));
    }

    /// <summary>Checks the input against the preprocessing; returns the fixed batch size, if any.</summary>
    private static int? CheckInput(OnnxTensorInfo input, Preprocessing p)
    {
        if (!string.Equals(input.ElementType, "float", StringComparison.OrdinalIgnoreCase) && !string.Equals(input.ElementType, "Single", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(input.ElementType, "float32", StringComparison.OrdinalIgnoreCase))
        {
            throw new EmbeddingException($"input '{input.Name}' is {input.ElementType}; a float32 image tensor is needed");
        }

        if (input.Shape is not { Count: 4 } shape)
        {
            throw new EmbeddingException($"input '{input.Name}' is not a 4-D image tensor");
        }

        long[] expected = p.Layout == TensorLayout.Nchw ? [3, p.InputHeight, p.InputWidth] : [p.InputHeight, p.InputWidth, 3];
        for (var i = 0; i < 3; i++)
        {
            if (shape[i + 1] > 0 && shape[i + 1] != expected[i])
            {
                throw new EmbeddingException($"input '{input.Name}' expects [{string.Join(",", shape)}], the preprocessing makes [N,{string.Join(",", expected)}] ({p.Layout})");
            }
        }

        return shape[0] > 0 ? (int)shape[0] : null;
    }
}

/// <summary>
/// One ONNX Runtime session over a model being checked, for a few images. <c>precise</c> asks ONNX Runtime for exact
/// 8-bit products on x86 CPUs that would saturate (u8 x u8 kernels instead of VPMADDUBSW): slower, but the int8
/// reference a float variant is checked against is then the same on every CPU.
/// </summary>
public sealed class ModelProbe : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly string _output;
    private readonly Preprocessing _preprocessing;
    private readonly int _batch;

    public ModelProbe(byte[] model, string inputName, string outputName, Preprocessing p, int? fixedBatch, bool precise)
    {
        (_input, _output, _preprocessing, _batch) = (inputName, outputName, p, fixedBatch ?? 1);
        try
        {
            using var sessionOptions = OnnxEmbedder.SingleThreaded();
            if (precise)
            {
                sessionOptions.AddSessionConfigEntry("session.x64quantprecision", "1");
            }

            _session = new InferenceSession(model, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new EmbeddingException($"ONNX Runtime could not load the model: {ex.Message}", ex);
        }
    }

    /// <summary>The L2-normalised vector of one preprocessed image (a fixed batch is filled with copies of it).</summary>
    public float[] Embed(float[] image)
    {
        var p = _preprocessing;
        var perImage = ImagePreprocessor.InputLength(p);
        var inputs = new float[_batch * perImage];
        for (var i = 0; i < _batch; i++)
        {
            image.AsSpan(0, perImage).CopyTo(inputs.AsSpan(i * perImage));
        }

        try
        {
            long[] shape = p.Layout == TensorLayout.Nchw ? [_batch, 3, p.InputHeight, p.InputWidth] : [_batch, p.InputHeight, p.InputWidth, 3];
            using var value = OrtValue.CreateTensorValueFromMemory(inputs, shape);
            using var runOptions = new RunOptions();
            using var outputs = _session.Run(runOptions, [_input], [value], [_output]);
            var vector = outputs[0].GetTensorDataAsSpan<float>();
            var dimension = vector.Length / _batch;
            var first = vector[..dimension].ToArray();
            if (dimension < 2 || first.Any(v => !float.IsFinite(v)) || !VectorCodec.Normalize(first))
            {
                throw new EmbeddingException($"a check image gave an unusable vector from '{_output}' (length {dimension}, zero or not finite)");
            }

            return first;
        }
        catch (OnnxRuntimeException ex)
        {
            throw new EmbeddingException($"ONNX Runtime could not run the model on a check image: {ex.Message}", ex);
        }
    }

    public void Dispose() => _session.Dispose();
}
