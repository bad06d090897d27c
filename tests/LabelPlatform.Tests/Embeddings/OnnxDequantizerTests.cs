using System.Numerics.Tensors;
using Google.Protobuf;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Tests.Embeddings;

/// <summary>
/// The float variant of a quantized model: hand-built graphs whose float results are worked out by hand from the
/// quantization parameters, and the shared int8 MobileNetV2 against its exact int8 path on real Caltech images.
/// </summary>
public class OnnxDequantizerTests
{
    private static readonly Lazy<byte[]> MobileNet = new(() => File.ReadAllBytes(SharedPaths.MobileNetV2));

    /// <summary>
    /// x (float) -> QuantizeLinear(s 0.1, zp 128, uint8) -> QLinearConv 1x1, 2 output channels, int8 weights [10, -20]
    /// with per-channel scales [0.05, 0.02], int32 bias [5, -3], output s 0.04 zp 0 (uint8: the ReLU range [0, 10.2])
    /// -> DequantizeLinear -> y.
    /// </summary>
    private static byte[] QOperatorConv()
    {
        var graph = new GraphProto { Name = "qconv" };
        graph.Input.Add(Value("x", TensorProto.Types.DataType.Float, 1, 1, 1, 3));
        graph.Output.Add(Value("y", TensorProto.Types.DataType.Float, 1, 2, 1, 3));
        graph.Initializer.Add(Scalar("x_scale", 0.1f));
        graph.Initializer.Add(Bytes("x_zp", TensorProto.Types.DataType.Uint8, [128]));
        graph.Initializer.Add(Bytes("w", TensorProto.Types.DataType.Int8, [10, unchecked((byte)-20)], 2, 1, 1, 1));
        graph.Initializer.Add(Floats("w_scale", [0.05f, 0.02f], 2));
        graph.Initializer.Add(Bytes("w_zp", TensorProto.Types.DataType.Int8, [0, 0], 2));
        graph.Initializer.Add(Scalar("y_scale", 0.04f));
        graph.Initializer.Add(Bytes("y_zp", TensorProto.Types.DataType.Uint8, [0]));
        graph.Initializer.Add(new TensorProto { Name = "b", DataType = (int)TensorProto.Types.DataType.Int32, Dims = { 2 }, Int32Data = { 5, -3 } });
        graph.Node.Add(Node("QuantizeLinear", ["x", "x_scale", "x_zp"], "xq"));
        var conv = Node("QLinearConv", ["xq", "x_scale", "x_zp", "w", "w_scale", "w_zp", "y_scale", "y_zp", "b"], "yq");
        conv.Attribute.Add(new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1 } });
        graph.Node.Add(conv);
        graph.Node.Add(Node("DequantizeLinear", ["yq", "y_scale", "y_zp"], "y"));
        return Model(graph);
    }

    [Fact]
    public void A_QLinearConv_becomes_Conv_with_dequantized_weights_and_its_output_range_as_Clip()
    {
        var converted = OnnxDequantizer.ToFloat(QOperatorConv());

        // x: 1 in range, -2 (conv below 0: ReLU by the range), 20 (beyond the input range 12.7: clipped there first).
        var y = Run(converted, "x", [1f, -2f, 20f], [1, 1, 1, 3], "y");

        // Hand-computed: W = [10 x 0.05, -20 x 0.02] = [0.5, -0.4]; B = [5 x 0.1 x 0.05, -3 x 0.1 x 0.02] = [0.025, -0.006];
        // y = clip(W x' + B, 0, 255 x 0.04 = 10.2) with x' = clip(x, 0.1 x (0 - 128), 0.1 x (255 - 128)) = clip(x, -12.8, 12.7).
        float[] expected = [0.525f, 0f, (0.5f * 12.7f) + 0.025f, 0f, 0.794f, 0f];
        Assert.Equal(expected.Length, y.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - y[i]) < 1e-5, $"value {i}: expected {expected[i]}, got {y[i]}");
        }

        var ops = ModelProto.Parser.ParseFrom(converted).Graph.Node.Select(n => n.OpType).ToList();
        Assert.DoesNotContain(ops, op => op.Contains("Quantize", StringComparison.Ordinal) || op.StartsWith("QLinear", StringComparison.Ordinal));
        Assert.Contains("Conv", ops);
        Assert.Equal(2, ops.Count(op => op == "Clip"));
        // The quantized weights are gone; float ones replaced them.
        Assert.DoesNotContain(ModelProto.Parser.ParseFrom(converted).Graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Int8);
    }

    [Fact]
    public void A_QDQ_model_keeps_its_float_operators_and_gets_constant_float_weights()
    {
        // x -> Q -> DQ -> Conv(DQ(w int8 per channel), bias float) -> y: the QDQ format of the same convolution.
        var graph = new GraphProto { Name = "qdq" };
        graph.Input.Add(Value("x", TensorProto.Types.DataType.Float, 1, 1, 1, 2));
        graph.Output.Add(Value("y", TensorProto.Types.DataType.Float, 1, 2, 1, 2));
        graph.Initializer.Add(Scalar("x_scale", 0.1f));
        graph.Initializer.Add(Bytes("x_zp", TensorProto.Types.DataType.Int8, [0]));
        graph.Initializer.Add(Bytes("w", TensorProto.Types.DataType.Int8, [10, unchecked((byte)-20)], 2, 1, 1, 1));
        graph.Initializer.Add(Floats("w_scale", [0.05f, 0.02f], 2));
        graph.Initializer.Add(Bytes("w_zp", TensorProto.Types.DataType.Int8, [0, 0], 2));
        graph.Initializer.Add(Floats("b", [0.1f, 0.2f], 2));
        graph.Node.Add(Node("QuantizeLinear", ["x", "x_scale", "x_zp"], "xq"));
        graph.Node.Add(Node("DequantizeLinear", ["xq", "x_scale", "x_zp"], "xd"));
        var dequantizeWeights = Node("DequantizeLinear", ["w", "w_scale", "w_zp"], "wd");
        dequantizeWeights.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Add(dequantizeWeights);
        graph.Node.Add(Node("Conv", ["xd", "wd", "b"], "y"));

        var converted = OnnxDequantizer.ToFloat(Model(graph));
        var y = Run(converted, "x", [2f, -20f], [1, 1, 1, 2], "y");

        // int8 input range: [0.1 x -128, 0.1 x 127] = [-12.8, 12.7]; W = [0.5, -0.4]; no output clip (Conv is float here).
        float[] expected = [(0.5f * 2) + 0.1f, (0.5f * -12.8f) + 0.1f, (-0.4f * 2) + 0.2f, (-0.4f * -12.8f) + 0.2f];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - y[i]) < 1e-5, $"value {i}: expected {expected[i]}, got {y[i]}");
        }

        var proto = ModelProto.Parser.ParseFrom(converted).Graph;
        Assert.DoesNotContain(proto.Node, n => n.OpType.Contains("Quantize", StringComparison.Ordinal));
        Assert.Contains(proto.Initializer, t => t.Name == "wd" && t.DataType == (int)TensorProto.Types.DataType.Float);
    }

    [Fact]
    public void Quantized_operators_it_cannot_convert_are_refused_by_name()
    {
        var graph = new GraphProto { Name = "dynamic" };
        graph.Input.Add(Value("a", TensorProto.Types.DataType.Uint8, 1, 2));
        graph.Output.Add(Value("c", TensorProto.Types.DataType.Int32, 1, 2));
        graph.Initializer.Add(Bytes("b", TensorProto.Types.DataType.Int8, [1, 2, 3, 4], 2, 2));
        graph.Node.Add(Node("MatMulInteger", ["a", "b"], "c"));

        var error = Assert.Throws<OnnxModelException>(() => OnnxDequantizer.ToFloat(Model(graph)));

        Assert.Contains("MatMulInteger", error.Message, StringComparison.Ordinal);
        Assert.True(OnnxDequantizer.IsQuantized(Model(graph)));
        Assert.Throws<OnnxModelException>(() => OnnxDequantizer.ToFloat(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"))));
    }

    [Fact]
    public void The_shared_int8_MobileNetV2_converts_and_stays_close_to_its_exact_int8_path_on_Caltech_photos()
    {
        var int8 = OnnxGraphEditor.AddPooledOutput(MobileNet.Value, "627");
        var converted = OnnxDequantizer.ToFloat(int8);
        var graph = ModelProto.Parser.ParseFrom(converted).Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType.StartsWith("QLinear", StringComparison.Ordinal) || n.OpType.Contains("Quantize", StringComparison.Ordinal));
        Assert.Equal(["output", "embedding"], graph.Output.Select(o => o.Name));

        string[] classes = ["accordion", "airplanes", "Faces", "Leopards", "Motorbikes", "anchor", "bonsai", "watch"];
        var images = classes.Select(c => TestImages.CaltechFiles(c, 1).Single()).ToList();
        var p = Preprocessing.ImageNet;
        using var exact = new ModelProbe(int8, "input", "embedding", p, null, precise: true);
        using var variant = new ModelProbe(converted, "input", "embedding", p, null, precise: false);
        using var exactLogits = new ModelProbe(int8, "input", "output", p, null, precise: true);
        using var variantLogits = new ModelProbe(converted, "input", "output", p, null, precise: false);
        var sameClass = 0;
        foreach (var file in images)
        {
            using var image = Image.Load<Rgb24>(file);
            var input = new float[ImagePreprocessor.InputLength(p)];
            ImagePreprocessor.Fill(image, p, input);
            var cosine = TensorPrimitives.Dot(exact.Embed(input), variant.Embed(input));
            // Rounding every activation to 8 bits is the whole difference; a lost ReLU clamp gives about 0.
            Assert.True(cosine >= 0.95, $"{Path.GetFileName(file)}: cosine {cosine}");
            sameClass += TensorPrimitives.IndexOfMax(exactLogits.Embed(input)) == TensorPrimitives.IndexOfMax(variantLogits.Embed(input)) ? 1 : 0;
        }

        // The ImageNet class the two paths predict agrees on most photos too.
        Assert.True(sameClass >= 6, $"top-1 ImageNet class agreed on {sameClass} of 8 photos");
    }

    private static float[] Run(byte[] model, string input, float[] values, long[] shape, string output)
    {
        using var session = new InferenceSession(model);
        using var value = OrtValue.CreateTensorValueFromMemory(values, shape);
        using var options = new RunOptions();
        using var outputs = session.Run(options, [input], [value], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static byte[] Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 7, Graph = graph, ProducerName = "test" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    private static NodeProto Node(string op, string[] inputs, string output) => new() { OpType = op, Name = $"{op}_{output}", Input = { inputs }, Output = { output } };

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        tensor.Shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    private static TensorProto Scalar(string name, float value) => Floats(name, [value]);

    private static TensorProto Floats(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, Dims = { dims } };
        tensor.FloatData.AddRange(values);
        return tensor;
    }

    private static TensorProto Bytes(string name, TensorProto.Types.DataType type, byte[] values, params long[] dims) =>
        new() { Name = name, DataType = (int)type, Dims = { dims }, RawData = ByteString.CopyFrom(values) };
}
