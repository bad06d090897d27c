using Google.Protobuf;
using Google.Protobuf.Collections;
using Onnx;

namespace LabelPlatform.Core.Embeddings;

/// <summary>A tensor of an ONNX graph. <see cref="Shape"/> is null when the model records no shape for it; symbolic or
/// unknown dimensions are -1. <see cref="Kind"/> is "input", "output" or "intermediate".</summary>
public sealed record OnnxTensorInfo(string Name, string ElementType, IReadOnlyList<long>? Shape, string Kind);

/// <summary>The bytes are not an ONNX model, or the requested edit does not fit the model; the message says why.</summary>
/// <summary>A fully connected layer: Weights[o * Inputs + i] maps input i to output o.</summary>
public sealed record DenseLayer(int Inputs, int Outputs, float[] Weights, float[] Bias, bool Relu);

/// <summary>A trained head as the graph computes it (see <see cref="OnnxGraphEditor.AppendHead"/>).</summary>
public sealed record HeadGraph(IReadOnlyList<DenseLayer> Layers, bool Residual = false, float Correction = 1, float BaseShare = 0);

public sealed class OnnxModelException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads and edits ONNX graphs through the protobuf classes OnnxSharp generates from onnx.proto.</summary>
public static class OnnxGraphEditor
{
    public const string InputKind = "input";
    public const string OutputKind = "output";
    public const string IntermediateKind = "intermediate";

    private static readonly HashSet<int> FloatElementTypes =
    [
        (int)TensorProto.Types.DataType.Float,
        (int)TensorProto.Types.DataType.Float16,
        (int)TensorProto.Types.DataType.Double,
    ];

    /// <summary>Graph inputs (weights excluded), then node outputs in node order, with the type and shape the model records.</summary>
    public static IReadOnlyList<OnnxTensorInfo> ListTensors(byte[] model)
    {
        var graph = Parse(model).Graph;
        var initializers = InitializerNames(graph);
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var types = TypeIndex(graph);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var tensors = new List<OnnxTensorInfo>();

        void Add(string name, string kind)
        {
            if (name.Length > 0 && seen.Add(name))
            {
                tensors.Add(Describe(name, types.GetValueOrDefault(name), kind));
            }
        }

        foreach (var input in graph.Input.Where(i => !initializers.Contains(i.Name)))
        {
            Add(input.Name, InputKind);
        }

        foreach (var output in graph.Node.SelectMany(n => n.Output))
        {
            Add(output, outputs.Contains(output) ? OutputKind : IntermediateKind);
        }

        // Outputs no node produces (a constant or an input passed through) are still outputs.
        foreach (var output in graph.Output)
        {
            Add(output.Name, OutputKind);
        }

        return tensors;
    }

    /// <summary>Adds GlobalAveragePool(<paramref name="tensorName"/>) -> Flatten(axis 1) as a new graph output
    /// <paramref name="outputName"/> [N, C]; the existing outputs stay as they are.</summary>
    public static byte[] AddPooledOutput(byte[] model, string tensorName, string outputName = "embedding")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tensorName);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputName);
        var proto = Parse(model);
        var graph = proto.Graph;

        var initializers = InitializerNames(graph);
        var computed = graph.Input.Select(i => i.Name).Where(n => !initializers.Contains(n))
            .Concat(graph.Node.SelectMany(n => n.Output))
            .ToHashSet(StringComparer.Ordinal);
        if (!computed.Contains(tensorName))
        {
            throw new OnnxModelException(initializers.Contains(tensorName)
                ? $"Tensor '{tensorName}' is a constant (weights) of the model, not a feature map it computes."
                : $"The model has no tensor named '{tensorName}'.");
        }

        // Subgraphs (If/Loop bodies) see the outer names, so a new name must not clash with theirs either.
        var tensorNames = new HashSet<string>(StringComparer.Ordinal);
        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        var dimParams = new HashSet<string>(StringComparer.Ordinal);
        CollectNames(graph, tensorNames, nodeNames, dimParams);
        if (tensorNames.Contains(outputName))
        {
            throw new OnnxModelException($"The output name '{outputName}' is already used by a tensor of the model; choose another name.");
        }

        // GlobalAveragePool and Flatten exist since opset 1, so any ai.onnx version the model imports has them.
        if (!proto.OpsetImport.Any(o => o.Domain is "" or "ai.onnx"))
        {
            throw new OnnxModelException("The model imports no standard ONNX operator set (ai.onnx), which GlobalAveragePool and Flatten belong to.");
        }

        var source = TypeIndex(graph).GetValueOrDefault(tensorName)?.Type;
        var sourceTensor = source?.ValueCase == TypeProto.ValueOneofCase.TensorType ? source.TensorType : null;
        if (source is not null && sourceTensor is null)
        {
            throw new OnnxModelException($"Tensor '{tensorName}' is a {source.ValueCase}, not a tensor.");
        }

        var elementType = sourceTensor?.ElemType ?? 0;
        if (elementType == 0)
        {
            // Unrecorded type: the usual case for a feature map is float, and ONNX Runtime checks it when it loads the model.
            elementType = (int)TensorProto.Types.DataType.Float;
        }
        else if (!FloatElementTypes.Contains(elementType))
        {
            throw new OnnxModelException($"Tensor '{tensorName}' holds {ElementTypeName(elementType)} values; GlobalAveragePool needs float, float16 or double.");
        }

        var sourceDims = sourceTensor?.Shape?.Dim;
        if (sourceDims is not null && sourceDims.Count < 3)
        {
            throw new OnnxModelException(
                $"Tensor '{tensorName}' has shape [{string.Join(", ", sourceDims.Select(DimText))}]; pooling needs a feature map [N, C, H, W].");
        }

        var batch = KnownDim(sourceDims, 0) ?? Symbolic($"{outputName}_batch", dimParams);
        var channels = KnownDim(sourceDims, 1) ?? Symbolic($"{outputName}_channels", dimParams);

        var pooledName = Unique($"{outputName}_pooled", tensorNames);
        var poolNodeName = Unique($"{outputName}_GlobalAveragePool", nodeNames);
        var flattenNodeName = Unique($"{outputName}_Flatten", nodeNames);

        // Appended last, the nodes stay in topological order: their input is produced earlier or is a graph input.
        graph.Node.Add(new NodeProto
        {
            Name = poolNodeName,
            OpType = "GlobalAveragePool",
            Input = { tensorName },
            Output = { pooledName },
        });
        graph.Node.Add(new NodeProto
        {
            Name = flattenNodeName,
            OpType = "Flatten",
            Input = { pooledName },
            Output = { outputName },
            Attribute = { new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
        });

        // The pooled map is [N, C, 1, 1, ...] with the source's rank; with no recorded rank only its type is declared.
        var pooledDims = sourceDims is null
            ? null
            : new[] { batch.Clone(), channels.Clone() }.Concat(Enumerable.Range(2, sourceDims.Count - 2).Select(_ => new TensorShapeProto.Types.Dimension { DimValue = 1 }));
        graph.ValueInfo.Add(TensorValueInfo(pooledName, elementType, pooledDims));
        graph.Output.Add(TensorValueInfo(outputName, elementType, [batch.Clone(), channels.Clone()]));

        return proto.ToByteArray();
    }

    /// <summary>
    /// Appends a small network to a float tensor [N, inputs]: L2 normalisation (stored embeddings are unit vectors,
    /// and the layers were trained on those), then each dense layer as Gemm (weights stored output-major, so
    /// transB = 1) with an optional ReLU, then L2 normalisation again, as the new graph output
    /// <paramref name="outputName"/>. Gemm, Relu and LpNormalization exist since opset 1. With <paramref name="residual"/>
    /// the normalised input is added to the last layer's output before the final normalisation (a head that learns a
    /// correction to the base vector; Add exists since opset 1 too).
    /// </summary>
    public static byte[] AppendDenseLayers(byte[] model, string inputTensor, IReadOnlyList<DenseLayer> layers, string outputName, bool residual = false) =>
        AppendHead(model, inputTensor, new HeadGraph(layers, residual), outputName);

    /// <summary>
    /// <see cref="AppendDenseLayers"/> with the head's inference settings: a residual head's correction scaled by
    /// <see cref="HeadGraph.Correction"/> before it is added, and with a <see cref="HeadGraph.BaseShare"/> s above 0
    /// the output [√s·x̂, √(1−s)·ẑ] (Mul, Concat: opset 1/4), whose dot products are s·cos_base + (1−s)·cos_head.
    /// </summary>
    public static byte[] AppendHead(byte[] model, string inputTensor, HeadGraph head, string outputName)
    {
        ArgumentNullException.ThrowIfNull(head);
        var (layers, residual) = (head.Layers, head.Residual);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputTensor);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputName);
        if (layers.Count == 0)
        {
            throw new ArgumentException("at least one layer is needed", nameof(head));
        }

        if (!(head.BaseShare is >= 0 and < 1) || !(head.Correction >= 0))
        {
            throw new ArgumentException("the base share must be in [0, 1) and the correction scale at least 0", nameof(head));
        }

        var proto = Parse(model);
        var graph = proto.Graph;
        var tensorNames = new HashSet<string>(StringComparer.Ordinal);
        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        var dimParams = new HashSet<string>(StringComparer.Ordinal);
        CollectNames(graph, tensorNames, nodeNames, dimParams);
        if (!graph.Node.SelectMany(n => n.Output).Contains(inputTensor) && !graph.Input.Any(i => i.Name == inputTensor))
        {
            throw new OnnxModelException($"The model has no tensor named '{inputTensor}'.");
        }

        if (tensorNames.Contains(outputName))
        {
            throw new OnnxModelException($"The output name '{outputName}' is already used by a tensor of the model; choose another name.");
        }

        var previous = layers[0].Inputs;
        foreach (var layer in layers)
        {
            if (layer.Inputs != previous || layer.Weights.Length != layer.Inputs * layer.Outputs || layer.Bias.Length != layer.Outputs)
            {
                throw new ArgumentException("layer shapes do not chain (weights must be outputs x inputs, bias outputs long)", nameof(head));
            }

            previous = layer.Outputs;
        }

        NodeProto Node(string op, string input, string output, params AttributeProto[] attributes)
        {
            var node = new NodeProto { Name = Unique($"{outputName}_{op}", nodeNames), OpType = op, Input = { input }, Output = { output } };
            node.Attribute.AddRange(attributes);
            return node;
        }

        AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        if (residual && layers[^1].Outputs != layers[0].Inputs)
        {
            throw new ArgumentException("a residual head's output must have its input's dimension", nameof(head));
        }

        var current = Unique($"{outputName}_input", tensorNames);
        var unitInput = current;
        graph.Node.Add(Node("LpNormalization", inputTensor, current, Int("axis", 1), Int("p", 2)));
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var weights = Unique($"{outputName}_w{i + 1}", tensorNames);
            var bias = Unique($"{outputName}_b{i + 1}", tensorNames);
            graph.Initializer.Add(FloatTensor(weights, layer.Weights, layer.Outputs, layer.Inputs));
            graph.Initializer.Add(FloatTensor(bias, layer.Bias, layer.Outputs));
            var dense = Unique($"{outputName}_dense{i + 1}", tensorNames);
            var gemm = Node("Gemm", current, dense, Int("transB", 1));
            gemm.Input.Add(weights);
            gemm.Input.Add(bias);
            graph.Node.Add(gemm);
            current = dense;
            if (layer.Relu)
            {
                var activated = Unique($"{outputName}_relu{i + 1}", tensorNames);
                graph.Node.Add(Node("Relu", current, activated));
                current = activated;
            }
        }

        string Scaled(string input, float factor, string name)
        {
            var constant = Unique($"{outputName}_{name}", tensorNames);
            graph.Initializer.Add(FloatTensor(constant, [factor]));
            var scaled = Unique($"{outputName}_{name}_scaled", tensorNames);
            var mul = Node("Mul", input, scaled);
            mul.Input.Add(constant);
            graph.Node.Add(mul);
            return scaled;
        }

        if (residual)
        {
            if (head.Correction != 1)
            {
                current = Scaled(current, head.Correction, "correction");
            }

            var sum = Unique($"{outputName}_residual", tensorNames);
            var add = Node("Add", current, sum);
            add.Input.Add(unitInput);
            graph.Node.Add(add);
            current = sum;
        }

        var width = layers[^1].Outputs;
        if (head.BaseShare > 0)
        {
            var normalised = Unique($"{outputName}_head", tensorNames);
            graph.Node.Add(Node("LpNormalization", current, normalised, Int("axis", 1), Int("p", 2)));
            var concat = Node("Concat", Scaled(unitInput, MathF.Sqrt(head.BaseShare), "base_weight"), outputName, Int("axis", 1));
            concat.Input.Add(Scaled(normalised, MathF.Sqrt(1 - head.BaseShare), "head_weight"));
            graph.Node.Add(concat);
            width += layers[0].Inputs;
        }
        else
        {
            graph.Node.Add(Node("LpNormalization", current, outputName, Int("axis", 1), Int("p", 2)));
        }

        var batch = Symbolic($"{outputName}_batch", dimParams);
        graph.Output.Add(TensorValueInfo(outputName, (int)TensorProto.Types.DataType.Float, [batch, new TensorShapeProto.Types.Dimension { DimValue = width }]));
        return proto.ToByteArray();
    }

    private static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }

    private static ModelProto Parse(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Length == 0)
        {
            throw new OnnxModelException("Not an ONNX model: the file is empty.");
        }

        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"Not an ONNX model: the bytes do not parse as an ONNX protobuf message ({e.Message})", e);
        }

        // Protobuf skips fields it does not know, so foreign bytes can parse into a near-empty message.
        if (proto.IrVersion <= 0 || proto.Graph is null)
        {
            throw new OnnxModelException("Not an ONNX model: the bytes parse as protobuf but hold no ONNX IR version or graph.");
        }

        if (proto.Graph.Output.Count == 0)
        {
            throw new OnnxModelException("Not a usable ONNX model: its graph has no outputs.");
        }

        return proto;
    }

    private static HashSet<string> InitializerNames(GraphProto graph) =>
        graph.Initializer.Select(i => i.Name).Concat(graph.SparseInitializer.Select(s => s.Values?.Name ?? ""))
            .Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);

    /// <summary>Declared types by tensor name; inputs and outputs first, as they are the interface the model promises.</summary>
    private static Dictionary<string, ValueInfoProto> TypeIndex(GraphProto graph)
    {
        var index = new Dictionary<string, ValueInfoProto>(StringComparer.Ordinal);
        foreach (var info in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            if (info.Type is not null)
            {
                index.TryAdd(info.Name, info);
            }
        }

        return index;
    }

    private static OnnxTensorInfo Describe(string name, ValueInfoProto? info, string kind)
    {
        var type = info?.Type;
        if (type is null || type.ValueCase == TypeProto.ValueOneofCase.None)
        {
            return new OnnxTensorInfo(name, "unknown", null, kind);
        }

        if (type.ValueCase != TypeProto.ValueOneofCase.TensorType)
        {
            var container = type.ValueCase switch
            {
                TypeProto.ValueOneofCase.SequenceType => "sequence",
                TypeProto.ValueOneofCase.MapType => "map",
                TypeProto.ValueOneofCase.OptionalType => "optional",
                TypeProto.ValueOneofCase.SparseTensorType => "sparse_tensor",
                _ => "unknown",
            };
            return new OnnxTensorInfo(name, container, null, kind);
        }

        var shape = type.TensorType.Shape?.Dim.Select(d => d.HasDimValue ? d.DimValue : -1).ToArray();
        return new OnnxTensorInfo(name, ElementTypeName(type.TensorType.ElemType), shape, kind);
    }

    private static string ElementTypeName(int elementType) =>
        elementType != 0 && Enum.IsDefined(typeof(TensorProto.Types.DataType), elementType)
            ? ((TensorProto.Types.DataType)elementType).ToString().ToLowerInvariant()
            : "unknown";

    private static string DimText(TensorShapeProto.Types.Dimension dim) =>
        dim.HasDimValue ? dim.DimValue.ToString() : dim.HasDimParam ? dim.DimParam : "?";

    private static TensorShapeProto.Types.Dimension? KnownDim(RepeatedField<TensorShapeProto.Types.Dimension>? dims, int axis) =>
        dims is not null && (dims[axis].HasDimValue || dims[axis].HasDimParam) ? dims[axis] : null;

    private static TensorShapeProto.Types.Dimension Symbolic(string name, HashSet<string> dimParams)
    {
        // A shared dim_param would claim equality with an unrelated dimension, so each new one gets its own name.
        var unique = Unique(name, dimParams);
        return new TensorShapeProto.Types.Dimension { DimParam = unique };
    }

    private static ValueInfoProto TensorValueInfo(string name, int elementType, IEnumerable<TensorShapeProto.Types.Dimension>? dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = elementType };
        if (dims is not null)
        {
            tensor.Shape = new TensorShapeProto();
            tensor.Shape.Dim.AddRange(dims);
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    /// <summary><paramref name="name"/>, or name_2, name_3... whichever is free; the result is reserved in <paramref name="taken"/>.</summary>
    private static string Unique(string name, HashSet<string> taken)
    {
        var candidate = name;
        for (var i = 2; !taken.Add(candidate); i++)
        {
            candidate = $"{name}_{i}";
        }

        return candidate;
    }

    private static void CollectNames(GraphProto graph, HashSet<string> tensors, HashSet<string> nodes, HashSet<string> dimParams)
    {
        foreach (var info in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
        {
            tensors.Add(info.Name);
            CollectDimParams(info.Type, dimParams);
        }

        tensors.UnionWith(InitializerNames(graph));
        foreach (var node in graph.Node)
        {
            nodes.Add(node.Name);
            tensors.UnionWith(node.Input);
            tensors.UnionWith(node.Output);
            foreach (var attribute in node.Attribute)
            {
                foreach (var subgraph in attribute.Graphs.Prepend(attribute.G).OfType<GraphProto>())
                {
                    CollectNames(subgraph, tensors, nodes, dimParams);
                }
            }
        }

        tensors.Remove("");
        nodes.Remove("");
    }

    private static void CollectDimParams(TypeProto? type, HashSet<string> dimParams)
    {
        switch (type?.ValueCase)
        {
            case TypeProto.ValueOneofCase.TensorType when type.TensorType.Shape is not null:
                dimParams.UnionWith(type.TensorType.Shape.Dim.Where(d => d.HasDimParam).Select(d => d.DimParam));
                break;
            case TypeProto.ValueOneofCase.SequenceType:
                CollectDimParams(type.SequenceType.ElemType, dimParams);
                break;
            case TypeProto.ValueOneofCase.OptionalType:
                CollectDimParams(type.OptionalType.ElemType, dimParams);
                break;
            case TypeProto.ValueOneofCase.MapType:
                CollectDimParams(type.MapType.ValueType, dimParams);
                break;
        }
    }
}
