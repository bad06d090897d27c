using LabelPlatform.Core.Training;

namespace LabelPlatform.Tests.Training;

/// <summary>
/// The cache-blocked batch passes must give the row-by-row passes' numbers bit for bit: training is seeded and
/// single-threaded so that a seed fixes every weight, and the speed-up must not change a single one.
/// </summary>
public class BatchedLayersTests
{
    private static float[] Random(Random random, int length, double zeroShare = 0) =>
        [.. Enumerable.Range(0, length).Select(_ => random.NextDouble() < zeroShare ? 0f : (float)(random.NextDouble() * 2 - 1))];

    [Theory]
    [InlineData(1300, 300, 7)] // more rows than one block
    [InlineData(5, 3, 1)]
    public void Dense_rows_give_the_row_by_row_outputs_and_gradients(int n, int m, int count)
    {
        var random = new Random(n + m);
        var (weights, bias, inputs) = (Random(random, m * n), Random(random, m), Random(random, count * n));
        var outputGradients = Random(random, count * m, zeroShare: 0.3); // zeros take the skipping branch

        var rowByRow = new float[count * m];
        var (gW, gB, dX) = (Random(random, m * n), Random(random, m), new float[count * n]);
        var (gW2, gB2) = ((float[])gW.Clone(), (float[])gB.Clone());
        for (var i = 0; i < count; i++)
        {
            HeadLayers.Dense(weights, bias, inputs.AsSpan(i * n, n), rowByRow.AsSpan(i * m, m));
            HeadLayers.DenseBackward(weights, inputs.AsSpan(i * n, n), outputGradients.AsSpan(i * m, m), gW, gB, dX.AsSpan(i * n, n));
        }

        var batched = new float[count * m];
        var dX2 = Random(random, count * n); // overwritten, as row-by-row dx is
        HeadLayers.DenseRows(weights, bias, inputs, count, batched);
        HeadLayers.DenseBackwardRows(weights, inputs, outputGradients, count, gW2, gB2, dX2);

        Assert.Equal(rowByRow, batched);
        Assert.Equal(gW, gW2);
        Assert.Equal(gB, gB2);
        Assert.Equal(dX, dX2);
    }

    [Theory]
    [InlineData(false, 0, 1f)]
    [InlineData(false, 1100, 1f)]
    [InlineData(true, 1100, 0.3f)]
    public void Head_forward_rows_give_the_row_by_row_embeddings(bool residual, int hidden, float correction)
    {
        const int input = 40, count = 9;
        var head = new ProjectionHead(input, hidden, residual ? input : 24, residual);
        var random = new Random(hidden + (residual ? 1 : 0));
        foreach (var parameters in new[] { head.W1, head.B1, head.W2, head.B2 })
        {
            Random(random, parameters.Length).CopyTo(parameters, 0);
        }

        var inputs = Random(random, count * input);
        var (expected, expectedNorms, expectedHidden) = (new float[count * head.Output], new float[count], new float[count * hidden]);
        for (var i = 0; i < count; i++)
        {
            expectedNorms[i] = head.Forward(inputs.AsSpan(i * input, input), expected.AsSpan(i * head.Output, head.Output), hidden > 0 ? expectedHidden.AsSpan(i * hidden, hidden) : default, correction);
        }

        var (actual, norms, actualHidden) = (new float[count * head.Output], new float[count], new float[count * hidden]);
        head.ForwardRows(inputs, count, actual, actualHidden, norms, correction);

        Assert.Equal(expected, actual);
        Assert.Equal(expectedNorms, norms);
        Assert.Equal(expectedHidden, actualHidden);
    }
}
