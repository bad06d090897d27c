using LabelPlatform.Core.Training;
using static LabelPlatform.Tests.Training.GradientCheck;

namespace LabelPlatform.Tests.Training;

/// <summary>
/// Every hand-written backward pass of the head and the losses against central finite differences of its forward
/// pass, on small random inputs chosen away from the kinks (ReLU at 0, the triplet loss's hinge and its choice of the
/// hardest positive and negative), where the functions are differentiable.
/// </summary>
public class GradientCheckTests
{
    [Fact]
    public void Dense_layer_gradients_for_weights_bias_and_input()
    {
        var random = new Random(1);
        var (weights, bias, x, r) = (Uniform(random, 4 * 5), Uniform(random, 4), Uniform(random, 5), Uniform(random, 4));
        double Loss() => Readout(r, Reference.Dense(weights, bias, Reference.ToDouble(x)));

        var y = new float[4];
        HeadLayers.Dense(weights, bias, x, y);
        var (weightGradient, biasGradient, inputGradient) = (new float[weights.Length], new float[bias.Length], new float[x.Length]);
        HeadLayers.DenseBackward(weights, x, r, weightGradient, biasGradient, inputGradient);

        SameValues("y", y, Reference.Dense(weights, bias, Reference.ToDouble(x)));
        Matches("W", weights, weightGradient, Loss);
        Matches("b", bias, biasGradient, Loss);
        Matches("x", x, inputGradient, Loss);
    }

    [Fact]
    public void Relu_gradient()
    {
        var random = new Random(2);
        var input = Uniform(random, 12);
        // Away from the kink at 0, with units on both sides of it.
        Assert.All(input, v => Assert.True(Math.Abs(v) > 100 * Step));
        Assert.Contains(input, v => v < 0);
        Assert.Contains(input, v => v > 0);
        var r = Uniform(random, input.Length);
        double Loss() => Readout(r, Reference.Relu(Reference.ToDouble(input)));

        var h = (float[])input.Clone();
        HeadLayers.Relu(h);
        var gradient = (float[])r.Clone();
        HeadLayers.ReluBackward(h, gradient);

        SameValues("h", h, Reference.Relu(Reference.ToDouble(input)));
        Matches("relu input", input, gradient, Loss);
    }

    [Fact]
    public void L2_normalisation_gradient()
    {
        var random = new Random(3);
        // Not of unit norm, so that the 1/|u| factor shows.
        var u = Uniform(random, 6, 2f);
        var r = Uniform(random, u.Length);
        double Loss() => Readout(r, Reference.L2Normalise(Reference.ToDouble(u)));

        var z = (float[])u.Clone();
        var norm = HeadLayers.L2Normalise(z);
        var gradient = new float[u.Length];
        HeadLayers.L2NormaliseBackward(z, norm, r, gradient);

        Assert.True(Math.Abs(norm - 1) > 0.2, $"|u| = {norm}");
        SameValues("z", z, Reference.L2Normalise(Reference.ToDouble(u)));
        Matches("u", u, gradient, Loss);
    }

    [Theory]
    [InlineData(0, false, 4)]
    [InlineData(5, false, 4)]
    [InlineData(5, true, 5)]
    public void Whole_head_gradients_through_relu_and_the_l2_normalisation(int hidden, bool residual, int seed)
    {
        const int input = 6, rows = 3;
        var output = residual ? input : 4;
        // Seeds whose draw keeps every hidden pre-activation away from the ReLU's kink.
        var random = new Random(seed);
        // Random (not zero) second layer for the residual head too, so that the first layer's gradient shows.
        var head = new ProjectionHead(input, hidden, output, residual);
        foreach (var parameter in new[] { head.W1, head.B1, head.W2, head.B2 })
        {
            Uniform(random, parameter.Length).CopyTo(parameter, 0);
        }

        var x = UnitRows(random, rows, input);
        var r = Uniform(random, rows * output);
        double Loss() => Readout(r, Reference.Head(head, x, rows));
        if (hidden > 0)
        {
            AssertAwayFromReluKink(head, x, rows);
        }

        var backprop = new HeadBackprop(head, rows);
        backprop.Forward(x, rows);
        var gradients = HeadGradients.For(head);
        backprop.Backward(x, r, rows, gradients);

        SameValues("z", backprop.Outputs, Reference.Head(head, x, rows));
        Matches("W1", head.W1, gradients.W1, Loss);
        Matches("B1", head.B1, gradients.B1, Loss);
        if (hidden > 0)
        {
            Matches("W2", head.W2, gradients.W2, Loss);
            Matches("B2", head.B2, gradients.B2, Loss);
        }
    }

    [Fact]
    public void Proxy_softmax_gradients_for_embeddings_and_raw_proxies()
    {
        const int classes = 3, dimension = 5;
        const float scale = 4f;
        var random = new Random(5);
        int[] targets = [0, 1, 2, 0];
        var embeddings = UnitRows(random, targets.Length, dimension);
        // Raw proxies well off unit norm, so the gradient must go through their normalisation.
        var proxies = Uniform(random, classes * dimension, 2f);
        double Loss() => Reference.ProxySoftmax(embeddings, targets, proxies, classes, dimension, scale);

        var (embeddingGradient, proxyGradient) = (new float[embeddings.Length], new float[proxies.Length]);
        var loss = new ProxySoftmaxLoss(classes, dimension, scale).Forward(embeddings, targets, proxies, embeddingGradient, proxyGradient);

        SameValues("loss", [(float)loss], [Loss()]);
        Matches("embeddings", embeddings, embeddingGradient, Loss);
        Matches("proxies", proxies, proxyGradient, Loss);
    }

    [Fact]
    public void Batch_hard_triplet_gradient_for_embeddings()
    {
        const int dimension = 5;
        const float margin = 1f;
        var random = new Random(6);
        int[] labels = [0, 0, 0, 1, 1, 1, 2, 2];
        int[] images = [.. Enumerable.Range(0, labels.Length)];
        var embeddings = UnitRows(random, labels.Length, dimension);
        AssertHardestAreUnambiguous(embeddings, labels, dimension, margin);
        double Loss() => Reference.BatchHardTriplet(embeddings, labels, images, dimension, margin);

        var gradient = new float[embeddings.Length];
        var loss = new BatchHardTripletLoss(dimension, margin).Forward(embeddings, labels, images, gradient);

        SameValues("loss", [(float)loss], [Loss()]);
        Matches("embeddings", embeddings, gradient, Loss);
    }

    [Fact]
    public void Neighbourhood_regulariser_gradient_for_embeddings()
    {
        const int inputDimension = 6, outputDimension = 4, rows = 5;
        const float weight = 0.7f;
        var random = new Random(7);
        // Inputs off unit norm: the regulariser compares with their cosines.
        var inputs = Uniform(random, rows * inputDimension, 3f);
        var embeddings = UnitRows(random, rows, outputDimension);
        double Loss() => Reference.Neighbourhood(inputs, inputDimension, embeddings, outputDimension, weight);

        var gradient = new float[embeddings.Length];
        var loss = new NeighbourhoodLoss(inputDimension, outputDimension, weight).Forward(inputs, embeddings, gradient);

        SameValues("loss", [(float)loss], [Loss()]);
        Matches("embeddings", embeddings, gradient, Loss);
    }

    /// <summary>No hidden pre-activation within reach of 0 when one weight, bias or input moves by the step; some units are off.</summary>
    private static void AssertAwayFromReluKink(ProjectionHead head, float[] x, int rows)
    {
        var preActivation = new float[head.Hidden];
        var off = 0;
        for (var i = 0; i < rows; i++)
        {
            HeadLayers.Dense(head.W1, head.B1, x.AsSpan(i * head.Input, head.Input), preActivation);
            Assert.All(preActivation, a => Assert.True(Math.Abs(a) > 100 * Step, $"pre-activation {a} is at the ReLU's kink"));
            off += preActivation.Count(a => a < 0);
        }

        Assert.True(off > 0, "no hidden unit is off: the ReLU's mask would not be tested");
    }

    /// <summary>
    /// Every anchor's farthest positive and nearest negative win by a clear gap and its hinge is clearly on or off,
    /// so a step moves no choice and the loss is differentiable there; most anchors count.
    /// </summary>
    private static void AssertHardestAreUnambiguous(float[] embeddings, int[] labels, int dimension, float margin)
    {
        const double gap = 0.01;
        var z = Enumerable.Range(0, labels.Length).Select(i => Reference.ToDouble(embeddings.AsSpan(i * dimension, dimension))).ToArray();
        double Distance(int a, int b) => Math.Sqrt(2 - (2 * Reference.Dot(z[a], z[b])));
        var active = 0;
        for (var a = 0; a < labels.Length; a++)
        {
            var positives = Enumerable.Range(0, labels.Length).Where(j => j != a && labels[j] == labels[a]).Select(j => Distance(a, j)).OrderDescending().ToArray();
            var negatives = Enumerable.Range(0, labels.Length).Where(j => labels[j] != labels[a]).Select(j => Distance(a, j)).Order().ToArray();
            Assert.True(positives.Length < 2 || positives[0] - positives[1] > gap, $"anchor {a}: two positives nearly as far");
            Assert.True(negatives[1] - negatives[0] > gap, $"anchor {a}: two negatives nearly as near");
            var hinge = margin + positives[0] - negatives[0];
            Assert.True(Math.Abs(hinge) > gap, $"anchor {a}: the hinge is at its kink ({hinge})");
            active += hinge > 0 ? 1 : 0;
        }

        Assert.True(active >= labels.Length / 2, $"only {active} anchors have a positive loss");
    }
}
