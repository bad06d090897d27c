using System.Text;
using Google.Protobuf;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace LabelPlatform.Tests.Embeddings;

/// <summary>
/// Expected values come from outside the code under test: the shared, separately made
/// mobilenetv2-12-int8-embedding.onnx (same graph plus GlobalAveragePool -> Flatten, see its NOTICE.md), the original
/// model's own `output`, ResNet18's own 7x7 AveragePool node, and the tensor names/types read from the models with
/// OnnxSharp and ONNX Runtime's metadata.
/// </summary>
public class OnnxGraphEditorTests
{
    private static readonly string MobileNetFolder =
        Path.GetDirectoryName(SharedPaths.MobileNetV2)!;

    private static readonly Lazy<byte[]> MobileNet = new(() => File.ReadAllBytes(Path.Combine(MobileNetFolder, "mobilenetv2-12-int8.onnx")));
    private static readonly Lazy<byte[]> MobileNetReference =
        new(() => File.ReadAllBytes(Path.Combine(MobileNetFolder, "mobilenetv2-12-int8-embedding.onnx")));
    private static readonly Lazy<byte[]> MobileNetDerived = new(() => OnnxGraphEditor.AddPooledOutput(MobileNet.Value, "627"));

    // Copied to every build output by LabelPlatform.Core (from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package).
    private static readonly Lazy<byte[]> ResNet18 =
        new(() => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")));

    private const int ImageValues = 3 * 224 * 224;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Derived_mobilenet_embedding_matches_the_shared_reference_and_keeps_output(int batch)
    {
        var input = NormalValues(seed: 1000 + batch, batch * ImageValues);
        long[] shape = [batch, 3, 224, 224];

        var original = Run(MobileNet.Value, "input", input, shape);
        var reference = Run(MobileNetReference.Value, "input", input, shape);
        var derived = Run(MobileNetDerived.Value, "input", input, shape);

        Assert.Equal(["output", "embedding"], derived.Keys);
        Assert.Equal([batch, 1280L], derived["embedding"].Shape);
        Assert.Equal(reference["embedding"].Shape, derived["embedding"].Shape);

        var expected = reference["embedding"].Values;
        var actual = derived["embedding"].Values;
        for (var row = 0; row < batch; row++)
        {
            var e = expected.AsSpan(row * 1280, 1280);
            var a = actual.AsSpan(row * 1280, 1280);
            Assert.True(Norm(e) > 1, $"row {row}: reference embedding is degenerate (norm {Norm(e)})");
            var cosine = Cosine(e, a);
            Assert.True(cosine >= 0.9999, $"row {row}: cosine {cosine}");
        }

        var maxDifference = MaxAbsDifference(expected, actual);
        Assert.True(maxDifference <= 1e-4, $"max |derived - reference| = {maxDifference}");

        // Distinct inputs must give distinct embeddings, or matching the reference would prove little.
        for (var row = 1; row < batch; row++)
        {
            Assert.True(MaxAbsDifference(actual.AsSpan(0, 1280), actual.AsSpan(row * 1280, 1280)) > 1e-2, $"row {row} equals row 0");
        }

        Assert.Equal([batch, 1000L], derived["output"].Shape);
        var outputDifference = MaxAbsDifference(original["output"].Values, derived["output"].Values);
        Assert.True(outputDifference <= 1e-5, $"the original output changed by up to {outputDifference}");
    }

    [Fact]
    public void Derived_model_adds_exactly_two_nodes_and_an_output_without_touching_the_rest()
    {
        var originalBytes = MobileNet.Value.ToArray();
        var derivedBytes = OnnxGraphEditor.AddPooledOutput(originalBytes, "627");

        Assert.Equal(MobileNet.Value, originalBytes); // pure: the caller's bytes are left alone
        var original = ModelProto.Parser.ParseFrom(originalBytes);
        var derived = ModelProto.Parser.ParseFrom(derivedBytes);

        Assert.Equal(original.OpsetImport, derived.OpsetImport);
        Assert.Equal(original.Graph.Initializer.Count, derived.Graph.Initializer.Count);
        Assert.Equal(original.Graph.Node, derived.Graph.Node.Take(original.Graph.Node.Count));
        Assert.Equal(original.Graph.Node.Count + 2, derived.Graph.Node.Count);

        var pool = derived.Graph.Node[^2];
        var flatten = derived.Graph.Node[^1];
        Assert.Equal("GlobalAveragePool", pool.OpType);
        Assert.Equal(["627"], pool.Input);
        Assert.Equal("Flatten", flatten.OpType);
        Assert.Equal(pool.Output, flatten.Input);
        Assert.Equal(["embedding"], flatten.Output);
        var axis = Assert.Single(flatten.Attribute);
        Assert.Equal(("axis", AttributeProto.Types.AttributeType.Int, 1L), (axis.Name, axis.Type, axis.I));
        Assert.Equal(derived.Graph.Node.Count, derived.Graph.Node.Select(n => n.Name).Distinct().Count());

        Assert.Equal(["output", "embedding"], derived.Graph.Output.Select(o => o.Name));
        Assert.Equal(original.Graph.Output[0], derived.Graph.Output[0]);
        var embedding = derived.Graph.Output[1].Type.TensorType;
        Assert.Equal((int)TensorProto.Types.DataType.Float, embedding.ElemType);
        // 627's value_info records its type but no shape, so both dims stay symbolic (named, not guessed).
        Assert.Equal(2, embedding.Shape.Dim.Count);
        Assert.All(embedding.Shape.Dim, d => Assert.True(d.HasDimParam && !d.HasDimValue));
        Assert.NotEqual(embedding.Shape.Dim[0].DimParam, embedding.Shape.Dim[1].DimParam);
    }

    [Fact]
    public void Known_shape_is_carried_to_the_new_output()
    {
        // Record 627's shape, as a shape-inferred export would, and expect [batch_size, 1280] like the reference model.
        var model = ModelProto.Parser.ParseFrom(MobileNet.Value);
        var info = model.Graph.ValueInfo.Single(v => v.Name == "627");
        info.Type.TensorType.Shape = new TensorShapeProto();
        info.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch_size" });
        foreach (var size in new long[] { 1280, 7, 7 })
        {
            info.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = size });
        }

        var derived = OnnxGraphEditor.AddPooledOutput(model.ToByteArray(), "627");

        var reference = ModelProto.Parser.ParseFrom(MobileNetReference.Value).Graph.Output.Single(o => o.Name == "embedding");
        Assert.Equal(reference.Type, ModelProto.Parser.ParseFrom(derived).Graph.Output.Single(o => o.Name == "embedding").Type);
        var tensors = OnnxGraphEditor.ListTensors(derived);
        Assert.Equal([-1L, 1280], tensors.Single(t => t.Name == "embedding").Shape);
        Assert.Equal([-1L, 1280, 1, 1], tensors.Single(t => t.Name == "embedding_pooled").Shape);
        // ONNX Runtime loads it (it refuses a declared element type that contradicts the graph; shape clashes only warn).
        using var session = new InferenceSession(derived);
        Assert.Equal([-1, 1280], session.OutputMetadata["embedding"].Dimensions);
    }

    [Fact]
    public void New_node_and_tensor_names_avoid_names_the_model_already_uses()
    {
        var model = ModelProto.Parser.ParseFrom(MobileNet.Value);
        model.Graph.Node[0].Name = "embedding_GlobalAveragePool";
        model.Graph.Node[1].Name = "embedding_Flatten";
        model.Graph.ValueInfo.Add(new ValueInfoProto
        {
            Name = "embedding_pooled",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });

        var derived = ModelProto.Parser.ParseFrom(OnnxGraphEditor.AddPooledOutput(model.ToByteArray(), "627"));

        var names = derived.Graph.Node.Select(n => n.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(["embedding_GlobalAveragePool_2", "embedding_Flatten_2"], names.TakeLast(2));
        Assert.Equal(["embedding_pooled_2"], derived.Graph.Node[^2].Output);
        Assert.Equal(["embedding_pooled_2"], derived.Graph.Node[^1].Input);

        using var session = new InferenceSession(derived.ToByteArray());
        Assert.Equal(["output", "embedding"], session.OutputNames);
    }

    [Fact]
    public void ListTensors_finds_mobilenet_input_output_and_intermediate_627()
    {
        var tensors = OnnxGraphEditor.ListTensors(MobileNet.Value);

        Assert.Equal(tensors.Count, tensors.Select(t => t.Name).Distinct().Count());
        // NOTICE.md: input float [batch_size,3,224,224], output float [batch_size,1000]; 627's value_info has no shape.
        Assert.Equal(new OnnxTensorInfo("input", "float", null, "input"), tensors.Single(t => t.Name == "input") with { Shape = null });
        Assert.Equal([-1L, 3, 224, 224], tensors.Single(t => t.Name == "input").Shape);
        Assert.Equal([-1L, 1000], tensors.Single(t => t.Name == "output").Shape);
        Assert.Equal("output", tensors.Single(t => t.Name == "output").Kind);
        Assert.Equal(new OnnxTensorInfo("627", "float", null, "intermediate"), tensors.Single(t => t.Name == "627"));
        Assert.Equal(new OnnxTensorInfo("627_quantized", "unknown", null, "intermediate"), tensors.Single(t => t.Name == "627_quantized"));
        Assert.Equal("uint8", tensors.Single(t => t.Name == "input_quantized").ElementType);
        Assert.Single(tensors, t => t.Kind == "input");
        Assert.Single(tensors, t => t.Kind == "output");
        Assert.DoesNotContain(tensors, t => t.Name == "627_scale"); // weights (initializers) are not activations

        // One entry per node output plus the input.
        var graph = ModelProto.Parser.ParseFrom(MobileNet.Value).Graph;
        Assert.Equal(graph.Node.Sum(n => n.Output.Count) + 1, tensors.Count);
    }

    public static TheoryData<string> NotOnnx => ["text", "random", "empty", "protobuf-without-graph"];

    [Theory]
    [MemberData(nameof(NotOnnx))]
    public void Bytes_that_are_not_onnx_are_refused_with_a_reason(string kind)
    {
        byte[] bytes = kind switch
        {
            "text" => Encoding.UTF8.GetBytes("name,label\ncat.jpg,cat\n"),
            "random" => RandomBytes(seed: 7, 4096),
            "empty" => [],
            // Field 1 (ir_version) = 7 and nothing else: valid protobuf, but no graph.
            "protobuf-without-graph" => [0x08, 0x07],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var list = Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.ListTensors(bytes));
        var add = Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.AddPooledOutput(bytes, "627"));

        Assert.StartsWith("Not an ONNX model", list.Message, StringComparison.Ordinal);
        Assert.Equal(list.Message, add.Message);
        Assert.Contains(kind switch { "empty" => "empty", "protobuf-without-graph" => "no ONNX IR version or graph", _ => "do not parse" },
            list.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_tensor_is_refused_with_its_name()
    {
        var e = Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.AddPooledOutput(MobileNet.Value, "no_such_tensor"));
        Assert.Equal("The model has no tensor named 'no_such_tensor'.", e.Message);
    }

    [Fact]
    public void Weights_are_refused_as_a_source()
    {
        var e = Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.AddPooledOutput(MobileNet.Value, "627_scale"));
        Assert.Contains("'627_scale' is a constant", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("output")] // a graph output
    [InlineData("627")] // an intermediate
    [InlineData("627_scale")] // an initializer
    [InlineData("input")] // the graph input
    public void Output_name_already_used_is_refused(string outputName)
    {
        var e = Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.AddPooledOutput(MobileNet.Value, "627", outputName));
        Assert.Equal($"The output name '{outputName}' is already used by a tensor of the model; choose another name.", e.Message);
    }

    [Fact]
    public void Deriving_embedding_again_from_the_reference_model_is_refused()
    {
        var e = Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.AddPooledOutput(MobileNetReference.Value, "627"));
        Assert.Contains("'embedding' is already used", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("output", "has shape [batch_size, 1000]; pooling needs a feature map")]
    [InlineData("465", "holds int64 values")] // Shape(627): int64 [unk__0]
    public void Tensors_that_cannot_be_pooled_are_refused(string tensorName, string reason)
    {
        var e = Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.AddPooledOutput(MobileNet.Value, tensorName));
        Assert.Contains($"'{tensorName}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListTensors_finds_resnet18_pooled_output_and_its_input()
    {
        var tensors = OnnxGraphEditor.ListTensors(ResNet18.Value);

        Assert.Equal(new OnnxTensorInfo("Input247", "float", null, "input"), Assert.Single(tensors, t => t.Kind == "input") with { Shape = null });
        Assert.Equal([1L, 3, 224, 224], tensors.Single(t => t.Name == "Input247").Shape);
        var pooled = Assert.Single(tensors, t => t.Kind == "output");
        Assert.Equal(("Pooling395_Output_0", "float"), (pooled.Name, pooled.ElementType));
        Assert.Equal([1L, 512, 1, 1], pooled.Shape);
        Assert.Equal([1L, 512, 7, 7], tensors.Single(t => t.Name == "ReLU393_Output_0").Shape);
        Assert.Equal("intermediate", tensors.Single(t => t.Name == "ReLU393_Output_0").Kind);
    }

    [Fact]
    public void ResNet18_gives_512_non_negative_values_for_one_image()
    {
        using var session = new InferenceSession(ResNet18.Value);
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("Input247", input.Key);
        Assert.Equal([1, 3, 224, 224], input.Value.Dimensions); // batch fixed at 1

        var outputs = Run(session, input.Key, ResNetImage(seed: 3), [1, 3, 224, 224]);

        var pooled = Assert.Single(outputs);
        Assert.Equal("Pooling395_Output_0", pooled.Key);
        Assert.Equal([1L, 512, 1, 1], pooled.Value.Shape);
        Assert.All(pooled.Value.Values, v => Assert.True(float.IsFinite(v) && v >= 0, $"{v}")); // mean of ReLU outputs
        Assert.True(pooled.Value.Values.Count(v => v > 0) > 100, "most features are zero");
    }

    [Fact]
    public void Pooling_resnet18_last_feature_map_equals_its_own_average_pool()
    {
        // Pooling395 is a 7x7 AveragePool without padding over the 7x7 map ReLU393_Output_0: a global average pool.
        var derived = OnnxGraphEditor.AddPooledOutput(ResNet18.Value, "ReLU393_Output_0");

        var outputs = Run(derived, "Input247", ResNetImage(seed: 4), [1, 3, 224, 224]);

        Assert.Equal([1L, 512], outputs["embedding"].Shape);
        var expected = outputs["Pooling395_Output_0"].Values;
        Assert.True(Norm(expected) > 1);
        Assert.True(MaxAbsDifference(expected, outputs["embedding"].Values) <= 1e-4);
        // ResNet18 records ReLU393_Output_0's shape in value_info, so the declared output is [1, 512], not symbolic.
        Assert.Equal(new OnnxTensorInfo("embedding", "float", null, "output"),
            OnnxGraphEditor.ListTensors(derived).Single(t => t.Name == "embedding") with { Shape = null });
        Assert.Equal([1L, 512], OnnxGraphEditor.ListTensors(derived).Single(t => t.Name == "embedding").Shape);
    }

    private sealed record Output(long[] Shape, float[] Values);

    private static Dictionary<string, Output> Run(byte[] model, string inputName, float[] input, long[] shape)
    {
        using var session = new InferenceSession(model);
        return Run(session, inputName, input, shape);
    }

    private static Dictionary<string, Output> Run(InferenceSession session, string inputName, float[] input, long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var options = new RunOptions();
        using var results = session.Run(options, new Dictionary<string, OrtValue> { [inputName] = value }, session.OutputNames);
        return session.OutputNames.Zip(results)
            .ToDictionary(p => p.First, p => new Output(p.Second.GetTensorTypeAndShape().Shape, p.Second.GetTensorDataAsSpan<float>().ToArray()));
    }

    /// <summary>Standard normal values (Box-Muller), like ImageNet-normalised pixels.</summary>
    private static float[] NormalValues(int seed, int count)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            var u = 1 - random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return values;
    }

    /// <summary>What ResNet18 expects (its package's ResNetPreprocess.onnx): BGR planes, 0..255, minus the mean image
    /// (channel means about 103, 116, 123).</summary>
    private static float[] ResNetImage(int seed)
    {
        float[] means = [103.06f, 115.90f, 123.15f];
        var random = new Random(seed);
        var values = new float[ImageValues];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = random.Next(256) - means[i / (224 * 224)];
        }

        return values;
    }

    private static byte[] RandomBytes(int seed, int count)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static double Norm(ReadOnlySpan<float> v)
    {
        var sum = 0d;
        foreach (var x in v)
        {
            sum += (double)x * x;
        }

        return Math.Sqrt(sum);
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var dot = 0d;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
        }

        return dot / (Norm(a) * Norm(b));
    }

    private static double MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0d;
        for (var i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        }

        return max;
    }
}
