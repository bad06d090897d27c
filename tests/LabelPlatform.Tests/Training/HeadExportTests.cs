using Google.Protobuf;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace LabelPlatform.Tests.Training;

public class HeadExportTests
{
    /// <summary>A model that passes a [N, 6] input through Identity to "features".</summary>
    private static byte[] IdentityModel()
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
        tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 6 });
        var graph = new GraphProto { Name = "identity" };
        graph.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = tensor } });
        graph.Node.Add(new NodeProto { Name = "id", OpType = "Identity", Input = { "x" }, Output = { "features" } });
        graph.Output.Add(new ValueInfoProto { Name = "features", Type = new TypeProto { TensorType = tensor.Clone() } });
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 12 });
        return model.ToByteArray();
    }

    private static ProjectionHead RandomHead(int hidden, bool residual = false)
    {
        var random = new Random(5);
        var head = new ProjectionHead(6, hidden, residual ? 6 : 3, residual);
        foreach (var array in new[] { head.W1, head.B1, head.W2, head.B2 })
        {
            for (var i = 0; i < array.Length; i++)
            {
                array[i] = (float)(random.NextDouble() * 2) - 1;
            }
        }

        return head;
    }

    [Theory]
    [InlineData(0, false, 1f, 0f)]
    [InlineData(4, false, 1f, 0f)]
    [InlineData(4, true, 1f, 0f)]
    [InlineData(4, true, 0.3f, 0f)]
    [InlineData(4, true, 0.3f, 0.6f)]
    [InlineData(4, false, 1f, 0.5f)]
    public void The_exported_graph_computes_what_the_head_computes_and_reads_back(int hidden, bool residual, float correction, float baseShare)
    {
        var head = RandomHead(hidden, residual);
        head.Correction = correction;
        head.BaseShare = baseShare;
        var output = head.EmbeddingDimension;
        List<DenseLayer> layers = hidden > 0
            ? [new DenseLayer(6, hidden, head.W1, head.B1, true), new DenseLayer(hidden, head.Output, head.W2, head.B2, false)]
            : [new DenseLayer(6, head.Output, head.W1, head.B1, false)];

        var exported = OnnxGraphEditor.AppendHead(IdentityModel(), "features", new HeadGraph(layers, residual, correction, baseShare), "embedding_trained");
        var values = Run(exported, output);
        if (residual || baseShare > 0)
        {
            // Without the skip connection, the scaling or the mixing the same weights give other vectors: the graph really has them.
            var plain = Run(OnnxGraphEditor.AppendDenseLayers(IdentityModel(), "features", layers, "embedding_trained"), head.Output);
            Assert.True(values.Length != plain.Length || values.Zip(plain).Max(p => Math.Abs(p.First - p.Second)) > 0.01);
        }

        for (var row = 0; row < 2; row++)
        {
            // The graph normalises its input first, as stored embeddings are unit vectors.
            var x = Input.AsSpan(row * 6, 6).ToArray();
            VectorCodec.Normalize(x);
            var expected = head.Embed(x);
            for (var j = 0; j < output; j++)
            {
                Assert.Equal(expected[j], values[(row * output) + j], 5);
            }
        }

        var back = HeadWeights.Read(exported, "embedding_trained", 6);
        Assert.Equal(head.W1, back.W1);
        Assert.Equal(head.B2, back.B2);
        Assert.Equal((hidden, residual, output), (back.Hidden, back.Residual, back.EmbeddingDimension));
        Assert.Equal(correction, back.Correction, 6);
        Assert.Equal(baseShare, back.BaseShare, 5);
    }

    private static readonly float[] Input = [0.5f, -1f, 2f, 0f, 0.25f, 1f, /* second row */ -0.3f, 0.1f, 0.9f, -2f, 1.5f, 0.7f];

    private static float[] Run(byte[] model, int output)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", new DenseTensor<float>(Input, [2, 6]))], ["embedding_trained"]);
        var values = results[0].AsTensor<float>().ToArray();
        Assert.Equal(2 * output, values.Length);
        return values;
    }

    [Fact]
    public void Layers_that_do_not_chain_or_a_missing_tensor_are_refused()
    {
        var head = RandomHead(0);

        Assert.Throws<ArgumentException>(() => OnnxGraphEditor.AppendDenseLayers(IdentityModel(), "features", [new DenseLayer(5, 3, head.W1, head.B1, false)], "out"));
        Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.AppendDenseLayers(IdentityModel(), "nope", [new DenseLayer(6, 3, head.W1, head.B1, false)], "out"));
        Assert.Throws<OnnxModelException>(() => OnnxGraphEditor.AppendDenseLayers(IdentityModel(), "features", [new DenseLayer(6, 3, head.W1, head.B1, false)], "x"));
    }
}
