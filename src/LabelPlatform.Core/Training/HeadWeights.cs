using System.Runtime.InteropServices;
using Onnx;

namespace LabelPlatform.Core.Training;

/// <summary>Reads a trained head back from the ONNX model it was exported into (its Gemm initializers), so a resumed job needs no other copy of the weights.</summary>
public static class HeadWeights
{
    public static ProjectionHead Read(byte[] onnx, string outputName, int inputDimension)
    {
        var graph = ModelProto.Parser.ParseFrom(onnx).Graph;
        var tensors = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        float[] Values(string name) => tensors.TryGetValue(name, out var t)
            ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray()
            : throw new TrainingException($"the trained model has no tensor '{name}'");

        var b1 = Values($"{outputName}_b1");
        var hasSecond = tensors.ContainsKey($"{outputName}_w2");
        var b2 = hasSecond ? Values($"{outputName}_b2") : [];
        // A residual head's export adds its normalised input back: an Add node producing "<output>_residual".
        var residual = graph.Node.Any(n => n.OpType == "Add" && n.Output.Any(o => o.StartsWith($"{outputName}_residual", StringComparison.Ordinal)));
        var head = new ProjectionHead(inputDimension, hasSecond ? b1.Length : 0, hasSecond ? b2.Length : b1.Length, residual)
        {
            // Inference settings travel as the graph's scalar constants.
            Correction = tensors.ContainsKey($"{outputName}_correction") ? Values($"{outputName}_correction")[0] : 1,
            BaseShare = tensors.ContainsKey($"{outputName}_base_weight") ? MathF.Pow(Values($"{outputName}_base_weight")[0], 2) : 0,
        };
        Values($"{outputName}_w1").CopyTo(head.W1, 0);
        b1.CopyTo(head.B1, 0);
        if (hasSecond)
        {
            Values($"{outputName}_w2").CopyTo(head.W2, 0);
            b2.CopyTo(head.B2, 0);
        }

        return head;
    }
}
