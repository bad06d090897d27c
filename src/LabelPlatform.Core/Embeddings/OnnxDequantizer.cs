using Google.Protobuf;
using Onnx;

namespace LabelPlatform.Core.Embeddings;

/// <summary>
/// Derives a float model from a quantized ONNX model by a graph edit: quantized weights are dequantized once into float
/// initializers, each quantized operator becomes its float counterpart followed by a Clip to the range its output
/// quantization could hold (which is how the QOperator format expresses ReLU/ReLU6, so it must not be dropped), and
/// activations stay float. QDQ models (QuantizeLinear/DequantizeLinear pairs around float operators) come out the same
/// way. Why: x86 CPUs without VNNI sum u8 x s8 products pairwise into int16 and saturate, so the same int8 file gives
/// other vectors there; float arithmetic does not depend on the CPU's 8-bit instructions.
/// </summary>
public static class OnnxDequantizer
{
    private const string Microsoft = "com.microsoft";

    /// <summary>Operators that move or select values without changing them: quantized in, same quantization out.</summary>
    private static readonly HashSet<string> LayoutOperators =
    [
        "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Gather", "Slice", "Split", "Concat",
        "MaxPool", "Tile", "Expand", "DepthToSpace", "SpaceToDepth",
    ];

    /// <summary>Operators that read only the shape of their input.</summary>
    private static readonly HashSet<string> ShapeOperators = ["Shape", "Size"];

    /// <summary>Quantized operators (standard and ONNX Runtime's contrib domain) this class turns into float ones.</summary>
    private static readonly HashSet<string> Converted =
    [
        "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul",
        "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearConcat", "QLinearLeakyRelu", "QLinearSigmoid",
    ];

    private static readonly HashSet<string> OtherQuantized =
    [
        "MatMulInteger", "ConvInteger", "QGemm", "DynamicQuantizeLinear", "DynamicQuantizeMatMul", "MatMulIntegerToFloat",
        "QAttention", "QEmbedLayerNormalization", "QOrderedMatMul", "QOrderedLayerNormalization", "MatMulNBits",
        "DynamicQuantizeLSTM", "QLinearSoftmax", "QLinearReduceMean", "QLinearWhere",
    ];

    /// <summary>Whether the model holds quantized operators (QLinear*, QuantizeLinear/DequantizeLinear, integer MatMul/Conv).</summary>
    public static bool IsQuantized(byte[] model) => QuantizedOperators(ParseModel(model).Graph).Count > 0;

    private static List<NodeProto> QuantizedOperators(GraphProto graph) =>
        [.. graph.Node.Where(n => Converted.Contains(n.OpType) || OtherQuantized.Contains(n.OpType) || n.OpType.StartsWith("QLinear", StringComparison.Ordinal))];

    /// <summary>The float model. Throws <see cref="OnnxModelException"/> naming the operators it cannot convert.</summary>
    public static byte[] ToFloat(byte[] model)
    {
        var proto = ParseModel(model);
        if (QuantizedOperators(proto.Graph).Count == 0)
        {
            throw new OnnxModelException("The model holds no quantized operators; it is float already.");
        }

        new Conversion(proto).Run();
        return proto.ToByteArray();
    }

    private static ModelProto ParseModel(byte[] model)
    {
        try
        {
            var proto = ModelProto.Parser.ParseFrom(model);
            return proto.Graph is null ? throw new OnnxModelException("Not an ONNX model: it holds no graph.") : proto;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"Not an ONNX model: the bytes do not parse as an ONNX protobuf message ({e.Message})", e);
        }
    }

    /// <summary>One conversion: walks the nodes in their (topological) order and rebuilds the graph.</summary>
    private sealed class Conversion
    {
        private readonly ModelProto _model;
        private readonly GraphProto _graph;
        private readonly Dictionary<string, TensorProto> _initializers;

        /// <summary>Quantized tensor name -> the float tensor that holds its dequantized value in the new graph.</summary>
        private readonly Dictionary<string, string> _floatOf = new(StringComparer.Ordinal);
        private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
        private readonly List<NodeProto> _nodes = [];
        private readonly List<TensorProto> _added = [];
        private readonly long _opset;

        public Conversion(ModelProto model)
        {
            _model = model;
            _graph = model.Graph;
            _initializers = _graph.Initializer.GroupBy(i => i.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            _opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
            if (_opset == 0)
            {
                throw new OnnxModelException("The model imports no standard ONNX operator set (ai.onnx), which the float operators belong to.");
            }

            foreach (var name in _graph.Input.Select(i => i.Name).Concat(_graph.Output.Select(o => o.Name)).Concat(_initializers.Keys)
                         .Concat(_graph.Node.SelectMany(n => n.Input.Concat(n.Output))).Concat(_graph.Node.Select(n => n.Name)))
            {
                _taken.Add(name);
            }
        }

        public void Run()
        {
            var refused = new List<string>();
            foreach (var node in _graph.Node)
            {
                try
                {
                    Convert(node);
                }
                catch (UnconvertibleException ex)
                {
                    refused.Add(ex.Message);
                }
            }

            if (refused.Count > 0)
            {
                var summary = refused.GroupBy(r => r).Select(g => g.Count() == 1 ? g.Key : $"{g.Key} (x{g.Count()})").Take(12);
                throw new OnnxModelException($"The quantized model cannot be converted to float: {string.Join("; ", summary)}.");
            }

            FinishOutputs();
            Rebuild();
        }

        private void Convert(NodeProto node)
        {
            if (node.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0) && node.Input.Any(_floatOf.ContainsKey))
            {
                throw new UnconvertibleException($"{node.OpType} '{node.Name}' has a subgraph that reads quantized tensors");
            }

            var contrib = node.Domain == Microsoft;
            switch (node.OpType)
            {
                case "QuantizeLinear" when node.Domain is "" or "ai.onnx" or Microsoft:
                    Quantize(node);
                    return;
                case "DequantizeLinear" when node.Domain is "" or "ai.onnx" or Microsoft:
                    Dequantize(node);
                    return;
                case "QLinearConv" when !contrib:
                    QLinearConv(node);
                    return;
                case "QLinearMatMul" when !contrib:
                    Binary(node, "MatMul", outputScale: 6);
                    return;
                case "QLinearAdd" when contrib:
                    Binary(node, "Add", outputScale: 6);
                    return;
                case "QLinearMul" when contrib:
                    Binary(node, "Mul", outputScale: 6);
                    return;
                case "QLinearGlobalAveragePool" when contrib:
                    Pool(node, "GlobalAveragePool");
                    return;
                case "QLinearAveragePool" when contrib:
                    Pool(node, "AveragePool");
                    return;
                case "QLinearLeakyRelu" when contrib:
                    Unary(node, "LeakyRelu");
                    return;
                case "QLinearSigmoid" when contrib:
                    Unary(node, "Sigmoid");
                    return;
                case "QLinearConcat" when contrib:
                    QLinearConcat(node);
                    return;
            }

            if (OtherQuantized.Contains(node.OpType) || node.OpType.StartsWith("QLinear", StringComparison.Ordinal))
            {
                throw new UnconvertibleException($"{node.OpType} is not converted");
            }

            if (!node.Input.Any(_floatOf.ContainsKey))
            {
                _nodes.Add(node);
                return;
            }

            if (!LayoutOperators.Contains(node.OpType) && !ShapeOperators.Contains(node.OpType))
            {
                throw new UnconvertibleException($"{node.OpType} '{node.Name}' reads a quantized tensor directly");
            }

            var copy = node.Clone();
            copy.Input.Clear();
            copy.Input.AddRange(node.Input.Select(i => _floatOf.GetValueOrDefault(i, i)));
            _nodes.Add(copy);
            if (LayoutOperators.Contains(node.OpType))
            {
                // Same values, moved: the output is in the same (now float) domain under its own name.
                foreach (var output in node.Output.Where(o => o.Length > 0))
                {
                    _floatOf[output] = output;
                }
            }
        }

        private void Quantize(NodeProto node)
        {
            // y = clip(round(x / s) + zp): in float, the clip to the representable range is what remains.
            var (lo, hi) = Range(node.Input[1], node.Input.Count > 2 ? node.Input[2] : "", node.OpType);
            _floatOf[node.Output[0]] = Clip(node.Input[0], lo, hi, node.Output[0]);
        }

        private void Dequantize(NodeProto node)
        {
            var input = node.Input[0];
            if (_initializers.TryGetValue(input, out var constant))
            {
                // A constant (QDQ weights): dequantized once into a float initializer under the node's output name.
                var axis = (int)(node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 1);
                _added.Add(DequantizedInitializer(constant, node.Input[1], node.Input.Count > 2 ? node.Input[2] : "", axis, node.Output[0]));
                return;
            }

            var source = _floatOf.TryGetValue(input, out var f) ? f : throw new UnconvertibleException($"DequantizeLinear '{node.Name}' reads '{input}', which no converted operator produces");
            _nodes.Add(Node("Identity", [source], node.Output[0], node.Name));
        }

        private void QLinearConv(NodeProto node)
        {
            // Inputs: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B int32].
            var x = FloatActivation(node.Input[0], node);
            if (!_initializers.TryGetValue(node.Input[3], out var w))
            {
                throw new UnconvertibleException($"QLinearConv '{node.Name}' has weights that are not constants");
            }

            var weights = DequantizedInitializer(w, node.Input[4], node.Input[5], 0, Unique($"{node.Input[3]}_float"));
            _added.Add(weights);
            var inputs = new List<string> { x, weights.Name };
            if (node.Input.Count > 8 && node.Input[8].Length > 0)
            {
                // The int32 bias is in units of x_scale * w_scale (per output channel).
                var bias = Constant(node.Input[8], node);
                var xScale = Scalar(node.Input[1], node);
                var wScale = Constant(node.Input[4], node);
                var floats = new float[bias.Length];
                for (var m = 0; m < bias.Length; m++)
                {
                    floats[m] = (float)(bias[m] * xScale * wScale[wScale.Length == 1 ? 0 : m]);
                }

                var name = Unique($"{node.Input[8]}_float");
                _added.Add(OnnxTensors.Float(name, floats, [bias.Length]));
                inputs.Add(name);
            }

            var conv = Node("Conv", inputs, Unique($"{node.Output[0]}_conv"), node.Name);
            conv.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
            _nodes.Add(conv);
            var (lo, hi) = Range(node.Input[6], node.Input[7], node.OpType);
            _floatOf[node.Output[0]] = Clip(conv.Output[0], lo, hi, node.Output[0]);
        }

        /// <summary>QLinearMatMul / QLinearAdd / QLinearMul: (a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp).</summary>
        private void Binary(NodeProto node, string op, int outputScale)
        {
            var a = FloatOperand(node.Input[0], node.Input[1], node.Input[2], node, axis: 0);
            // A MatMul's constant right-hand side may be quantized per output column (its last axis).
            var b = FloatOperand(node.Input[3], node.Input[4], node.Input[5], node, axis: op == "MatMul" ? -1 : 0);
            var result = Node(op, [a, b], Unique($"{node.Output[0]}_{op.ToLowerInvariant()}"), node.Name);
            _nodes.Add(result);
            var (lo, hi) = Range(node.Input[outputScale], node.Input.Count > outputScale + 1 ? node.Input[outputScale + 1] : "", node.OpType);
            _floatOf[node.Output[0]] = Clip(result.Output[0], lo, hi, node.Output[0]);
        }

        /// <summary>QLinearGlobalAveragePool / QLinearAveragePool: (x, x_s, x_zp, y_s, y_zp), NCHW only.</summary>
        private void Pool(NodeProto node, string op)
        {
            if (node.Attribute.FirstOrDefault(a => a.Name == "channels_last") is { I: not 0 })
            {
                throw new UnconvertibleException($"{node.OpType} '{node.Name}' is channels-last");
            }

            var pool = Node(op, [FloatActivation(node.Input[0], node)], Unique($"{node.Output[0]}_pool"), node.Name);
            pool.Attribute.AddRange(node.Attribute.Where(a => a.Name != "channels_last").Select(a => a.Clone()));
            _nodes.Add(pool);
            var (lo, hi) = Range(node.Input[3], node.Input.Count > 4 ? node.Input[4] : "", node.OpType);
            _floatOf[node.Output[0]] = Clip(pool.Output[0], lo, hi, node.Output[0]);
        }

        /// <summary>QLinearLeakyRelu / QLinearSigmoid: (x, x_s, x_zp, y_s, y_zp).</summary>
        private void Unary(NodeProto node, string op)
        {
            var result = Node(op, [FloatActivation(node.Input[0], node)], Unique($"{node.Output[0]}_{op.ToLowerInvariant()}"), node.Name);
            result.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
            _nodes.Add(result);
            var (lo, hi) = Range(node.Input[3], node.Input.Count > 4 ? node.Input[4] : "", node.OpType);
            _floatOf[node.Output[0]] = Clip(result.Output[0], lo, hi, node.Output[0]);
        }

        /// <summary>QLinearConcat: (y_s, y_zp, then x, x_s, x_zp per input).</summary>
        private void QLinearConcat(NodeProto node)
        {
            var inputs = new List<string>();
            for (var i = 2; i + 2 < node.Input.Count; i += 3)
            {
                inputs.Add(FloatOperand(node.Input[i], node.Input[i + 1], node.Input[i + 2], node, axis: 0));
            }

            var concat = Node("Concat", inputs, Unique($"{node.Output[0]}_concat"), node.Name);
            concat.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
            _nodes.Add(concat);
            var (lo, hi) = Range(node.Input[0], node.Input[1], node.OpType);
            _floatOf[node.Output[0]] = Clip(concat.Output[0], lo, hi, node.Output[0]);
        }

        /// <summary>The float form of a quantized operand: a converted activation, or a constant dequantized once.</summary>
        private string FloatOperand(string name, string scale, string zeroPoint, NodeProto node, int axis)
        {
            if (_floatOf.TryGetValue(name, out var converted))
            {
                return converted;
            }

            if (_initializers.TryGetValue(name, out var constant))
            {
                var dequantized = DequantizedInitializer(constant, scale, zeroPoint, axis < 0 ? constant.Dims.Count - 1 : axis, Unique($"{name}_float"));
                _added.Add(dequantized);
                return dequantized.Name;
            }

            throw new UnconvertibleException($"{node.OpType} '{node.Name}' reads '{name}', which no converted operator produces");
        }

        private string FloatActivation(string name, NodeProto node) =>
            _floatOf.TryGetValue(name, out var converted) ? converted : FloatOperand(name, "", "", node, 0);

        private TensorProto DequantizedInitializer(TensorProto quantized, string scaleName, string zeroPointName, int axis, string name)
        {
            var values = OnnxTensors.Read(quantized);
            var scale = scaleName.Length > 0 ? Constant(scaleName, null) : throw new UnconvertibleException($"'{quantized.Name}' has no scale");
            var zeroPoint = zeroPointName.Length > 0 && _initializers.ContainsKey(zeroPointName) ? Constant(zeroPointName, null) : [0];
            var dims = quantized.Dims.ToArray();
            var channels = scale.Length;
            long inner = 1;
            if (channels > 1)
            {
                if (axis < 0 || axis >= dims.Length || dims[axis] != channels || (zeroPoint.Length != 1 && zeroPoint.Length != channels))
                {
                    throw new UnconvertibleException($"'{quantized.Name}' has {channels} scales that match no axis of its shape");
                }

                for (var d = axis + 1; d < dims.Length; d++)
                {
                    inner *= dims[d];
                }
            }

            var floats = new float[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                var c = channels == 1 ? 0 : (int)(i / inner % channels);
                floats[i] = (float)((values[i] - zeroPoint[zeroPoint.Length == 1 ? 0 : c]) * scale[c]);
            }

            return OnnxTensors.Float(name, floats, dims);
        }

        /// <summary>The float interval a quantized tensor with this scale and zero point can hold.</summary>
        private (float Lo, float Hi) Range(string scaleName, string zeroPointName, string op)
        {
            var scale = Scalar(scaleName, null, op);
            double zeroPoint = 0;
            // Without a zero point the quantized type is uint8 (the ONNX default).
            var elementType = (int)TensorProto.Types.DataType.Uint8;
            if (zeroPointName.Length > 0)
            {
                var tensor = _initializers.TryGetValue(zeroPointName, out var t) ? t : throw new UnconvertibleException($"{op}: zero point '{zeroPointName}' is not a constant");
                zeroPoint = OnnxTensors.Read(tensor) is [var single] ? single : throw new UnconvertibleException($"{op}: zero point '{zeroPointName}' is per channel on an activation");
                elementType = tensor.DataType;
            }

            var (min, max) = OnnxTensors.QuantizedRange(elementType);
            return ((float)(scale * (min - zeroPoint)), (float)(scale * (max - zeroPoint)));
        }

        private double[] Constant(string name, NodeProto? node) =>
            _initializers.TryGetValue(name, out var tensor)
                ? OnnxTensors.Read(tensor)
                : throw new UnconvertibleException($"{node?.OpType ?? "a quantized operator"}: '{name}' is not a constant (dynamic quantization is not converted)");

        private double Scalar(string name, NodeProto? node, string? op = null) => Constant(name, node) is [var value]
            ? value
            : throw new UnconvertibleException($"{op ?? node?.OpType}: '{name}' is per channel where one scale was expected");

        private string Clip(string input, float lo, float hi, string quantizedName)
        {
            var output = Unique($"{quantizedName}_float");
            var clip = Node("Clip", [input], output, $"{quantizedName}_clip");
            if (_opset >= 11)
            {
                var min = Unique($"{quantizedName}_float_min");
                var max = Unique($"{quantizedName}_float_max");
                _added.Add(OnnxTensors.FloatScalar(min, lo));
                _added.Add(OnnxTensors.FloatScalar(max, hi));
                clip.Input.Add(min);
                clip.Input.Add(max);
            }
            else
            {
                clip.Attribute.Add(new AttributeProto { Name = "min", Type = AttributeProto.Types.AttributeType.Float, F = lo });
                clip.Attribute.Add(new AttributeProto { Name = "max", Type = AttributeProto.Types.AttributeType.Float, F = hi });
            }

            _nodes.Add(clip);
            return output;
        }

        private NodeProto Node(string op, IEnumerable<string> inputs, string output, string basedOn)
        {
            var node = new NodeProto { OpType = op, Name = Unique(basedOn.Length > 0 ? $"{basedOn}_{op}" : op), Output = { output } };
            node.Input.AddRange(inputs);
            return node;
        }

        private string Unique(string name)
        {
            var candidate = name;
            for (var i = 2; !_taken.Add(candidate); i++)
            {
                candidate = $"{name}_{i}";
            }

            return candidate;
        }

        /// <summary>A graph output that was quantized is given its float value under its own name, typed float.</summary>
        private void FinishOutputs()
        {
            foreach (var output in _graph.Output)
            {
                if (!_floatOf.TryGetValue(output.Name, out var source))
                {
                    continue;
                }

                if (source != output.Name)
                {
                    _nodes.Add(Node("Identity", [source], output.Name, output.Name));
                }

                if (output.Type?.TensorType is { } tensor)
                {
                    tensor.ElemType = (int)TensorProto.Types.DataType.Float;
                }
            }
        }

        private void Rebuild()
        {
            _graph.Node.Clear();
            _graph.Node.AddRange(_nodes);
            var used = _nodes.SelectMany(n => n.Input).Concat(_graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
            var initializers = _initializers.Values.Concat(_added).Where(i => used.Contains(i.Name)).ToList();
            _graph.Initializer.Clear();
            _graph.Initializer.AddRange(initializers);
            var kept = initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            // Older IR versions list initializers among the inputs too; the dropped ones must go from there as well.
            var inputs = _graph.Input.Where(i => !_initializers.ContainsKey(i.Name) || kept.Contains(i.Name)).ToList();
            _graph.Input.Clear();
            _graph.Input.AddRange(inputs);
            // Recorded types of tensors that changed domain are now wrong; ONNX Runtime infers them again.
            var produced = _nodes.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
            var infos = _graph.ValueInfo.Where(v => produced.Contains(v.Name) && !_floatOf.ContainsKey(v.Name)).ToList();
            _graph.ValueInfo.Clear();
            _graph.ValueInfo.AddRange(infos);
            _model.ProducerName = string.IsNullOrEmpty(_model.ProducerName) ? "LabelPlatform dequantizer" : $"{_model.ProducerName} + LabelPlatform dequantizer";
        }
    }

    private sealed class UnconvertibleException(string message) : Exception(message);
}
