using LabelPlatform.Core.Training;

namespace LabelPlatform.Tests.Training;

/// <summary>The residual head and the neighbourhood regulariser: how they start, that they stay deterministic, what they change.</summary>
public class HeadKindTests
{
    private static readonly TrainingOptions Small = new() { Head = HeadKind.Mlp, BaseShare = 0, Dimension = 8, Hidden = 32, Epochs = 15, BatchSize = 32, Scale = 8, LearningRate = 0.01f };

    [Fact]
    public void A_new_residual_head_gives_the_base_embedding()
    {
        var (vectors, _) = HeadTrainerTests.Entangled(3, 4, 1);

        var head = HeadTrainer.InitialHead(32, Small with { Head = HeadKind.Residual }, new Random(1));

        Assert.True(head.Residual);
        Assert.Equal(32, head.Output);
        Assert.All(head.W2, w => Assert.Equal(0f, w));
        Assert.All(head.B2, b => Assert.Equal(0f, b));
        Assert.Contains(head.W1, w => w != 0);
        for (var i = 0; i < 12; i++)
        {
            var x = vectors.AsSpan(i * 32, 32);
            var z = head.Embed(x);
            for (var d = 0; d < 32; d++)
            {
                Assert.True(Math.Abs(x[d] - z[d]) < 1e-6, $"{z[d]} for {x[d]}");
            }
        }
    }

    [Fact]
    public void A_residual_head_needs_hidden_units_and_its_input_dimension()
    {
        Assert.NotNull((Small with { Head = HeadKind.Residual, Hidden = 0 }).Problem());
        Assert.NotNull((Small with { Head = (HeadKind)7 }).Problem());
        Assert.NotNull((Small with { NeighbourhoodWeight = -1 }).Problem());
        Assert.NotNull((Small with { NeighbourhoodWeight = float.NaN }).Problem());
        Assert.Null((Small with { Head = HeadKind.Residual, NeighbourhoodWeight = 0.5f }).Problem());
        Assert.Throws<ArgumentException>(() => new ProjectionHead(6, 4, 5, residual: true));
        Assert.Throws<ArgumentException>(() => new ProjectionHead(6, 0, 6, residual: true));
    }

    [Theory]
    [InlineData(TrainingLoss.ProxySoftmax)]
    [InlineData(TrainingLoss.BatchHardTriplet)]
    public void A_residual_head_beats_the_raw_vectors_on_unseen_images(TrainingLoss loss)
    {
        // As HeadTrainerTests: one draw, the first 240 images train, the last 90 are never seen. On seeds 1-5 the
        // residual head gained 0.33-0.66 P@10 over the raw vectors (the MLP head 0.25-0.57).
        var (all, allLabels) = HeadTrainerTests.Entangled(6, 55, 1);
        var (train, trainLabels) = (all[..(240 * 32)], allLabels[..240]);
        var (test, testLabels) = (all[(240 * 32)..], allLabels[240..]);

        var result = HeadTrainer.Train(train, 32, trainLabels, Small with { Loss = loss, Head = HeadKind.Residual });

        var before = HeadTrainerTests.PrecisionAt10(test, testLabels, test, testLabels, 32);
        var embedded = HeadTrainerTests.Embed(result.Head, test, 32);
        var after = HeadTrainerTests.PrecisionAt10(embedded, testLabels, embedded, testLabels, 32);
        Assert.True(after > before + 0.15, $"P@10 {before:0.000} -> {after:0.000}");
        Assert.True(result.Curve[^1].Loss < result.Curve[0].Loss, "the loss did not go down");
    }

    [Theory]
    [InlineData(TrainingLoss.ProxySoftmax)]
    [InlineData(TrainingLoss.BatchHardTriplet)]
    public void The_residual_head_with_the_regulariser_is_deterministic(TrainingLoss loss)
    {
        var (vectors, labels) = HeadTrainerTests.Entangled(5, 20, 3);
        var options = Small with { Epochs = 3, Loss = loss, Head = HeadKind.Residual, NeighbourhoodWeight = 1f };

        var first = HeadTrainer.Train(vectors, 32, labels, options);
        var again = HeadTrainer.Train(vectors, 32, labels, options);

        Assert.True(first.Head.Residual);
        Assert.Equal(32, first.Head.Output);
        Assert.Equal(first.Head.W1, again.Head.W1);
        Assert.Equal(first.Head.W2, again.Head.W2);
        Assert.Equal(first.Head.B2, again.Head.B2);
        Assert.Contains(first.Head.W2, w => w != 0);
    }

    [Fact]
    public void The_regulariser_keeps_the_base_similarities_closer()
    {
        var (vectors, labels) = HeadTrainerTests.Entangled(6, 20, 2);
        var free = HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 6 });
        var kept = HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 6, NeighbourhoodWeight = 20f });

        double Drift(ProjectionHead head)
        {
            var z = Enumerable.Range(0, labels.Length).Select(i => head.Embed(vectors.AsSpan(i * 32, 32))).ToArray();
            double sum = 0;
            for (var i = 0; i < labels.Length; i++)
            {
                for (var j = i + 1; j < labels.Length; j++)
                {
                    var difference = Reference.Dot(Reference.ToDouble(z[i]), Reference.ToDouble(z[j])) - Reference.Dot(Reference.ToDouble(vectors.AsSpan(i * 32, 32)), Reference.ToDouble(vectors.AsSpan(j * 32, 32)));
                    sum += difference * difference;
                }
            }

            return sum / (labels.Length * (labels.Length - 1) / 2);
        }

        var (freeDrift, keptDrift) = (Drift(free.Head), Drift(kept.Head));
        Assert.True(keptDrift < freeDrift * 0.6, $"mean squared change of the pairwise similarities: {freeDrift:0.0000} without, {keptDrift:0.0000} with the regulariser");
    }
}
