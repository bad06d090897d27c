using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Training;

namespace LabelPlatform.Tests.Training;

public class HeadTrainerTests
{
    /// <summary>
    /// Unit vectors whose class shows only in 4 of 32 dimensions, buried under larger noise in the rest: cosine on
    /// the raw vectors finds neighbours poorly, a learned projection can keep the 4 and drop the noise.
    /// </summary>
    internal static (float[] Vectors, int[] Labels) Entangled(int classes, int perClass, int seed, int dimension = 32)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray()).ToArray();
        var vectors = new float[classes * perClass * dimension];
        var labels = new int[classes * perClass];
        for (var i = 0; i < labels.Length; i++)
        {
            var c = i % classes;
            labels[i] = c + 1;
            var v = vectors.AsSpan(i * dimension, dimension);
            for (var d = 0; d < dimension; d++)
            {
                v[d] = d < 4 ? centres[c][d] + ((float)random.NextDouble() * 0.3f) : ((float)random.NextDouble() * 2 - 1) * 1.2f;
            }

            VectorCodec.Normalize(v);
        }

        return (vectors, labels);
    }

    internal static double PrecisionAt10(float[] queries, int[] queryLabels, float[] candidates, int[] candidateLabels, int dimension) =>
        Evaluator.Evaluate(new EvaluationData
        {
            Queries = [.. queryLabels.Select((l, i) => new EvaluationItem(i, l))],
            Candidates = [.. candidateLabels.Select((l, i) => new EvaluationItem(100_000 + i, l))],
            Classes = [.. queryLabels.Distinct().Select(c => new ClassInfo(c, $"c{c}", false))],
            QueryVectors = queries,
            CandidateVectors = candidates,
            Dimension = dimension,
        }, new EvaluationSettings([10], 10, 0) { BootstrapSamples = 0 }).Overall.At(10).Precision;

    internal static float[] Embed(ProjectionHead head, float[] vectors, int dimension) =>
        [.. Enumerable.Range(0, vectors.Length / dimension).SelectMany(i => head.Embed(vectors.AsSpan(i * dimension, dimension)))];

    private static readonly TrainingOptions Small = new() { Head = HeadKind.Mlp, BaseShare = 0, Dimension = 8, Hidden = 32, Epochs = 15, BatchSize = 32, Scale = 8, LearningRate = 0.01f };

    [Theory]
    [InlineData(TrainingLoss.ProxySoftmax)]
    [InlineData(TrainingLoss.BatchHardTriplet)]
    public void A_trained_head_beats_the_raw_vectors_on_unseen_images(TrainingLoss loss)
    {
        // One draw (same class centres), split: the first 240 images train, the last 90 are never seen.
        var (all, allLabels) = Entangled(6, 55, 1);
        var (train, trainLabels) = (all[..(240 * 32)], allLabels[..240]);
        var (test, testLabels) = (all[(240 * 32)..], allLabels[240..]);

        var result = HeadTrainer.Train(train, 32, trainLabels, Small with { Loss = loss });

        var before = PrecisionAt10(test, testLabels, test, testLabels, 32);
        var embedded = Embed(result.Head, test, 32);
        var after = PrecisionAt10(embedded, testLabels, embedded, testLabels, 8);
        Assert.True(after > before + 0.15, $"P@10 {before:0.000} -> {after:0.000}");
        Assert.True(result.Curve[^1].Loss < result.Curve[0].Loss, "the loss did not go down");
        Assert.InRange(result.BestEpoch, 1, Small.Epochs);
        // The held-out tenth picked the epoch count; the final weights were then trained on every image.
        Assert.InRange(result.ValidationImages, 1, trainLabels.Length / 5);
        Assert.Equal(trainLabels.Length, result.TrainingImages);
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_another_seed_does_not()
    {
        var (vectors, labels) = Entangled(5, 20, 3);

        var first = HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 4 });
        var again = HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 4 });
        var other = HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 4, Seed = 7 });

        Assert.Equal(first.Head.W1, again.Head.W1);
        Assert.Equal(first.Head.W2, again.Head.W2);
        Assert.Equal(first.Curve.Select(c => (c.Loss, c.ValidationPrecisionAt10)), again.Curve.Select(c => (c.Loss, c.ValidationPrecisionAt10)));
        Assert.NotEqual(first.Head.W1, other.Head.W1);
    }

    [Fact]
    public void Without_a_refit_the_best_epoch_weights_of_the_first_pass_are_kept()
    {
        var (vectors, labels) = Entangled(5, 20, 3);

        var kept = HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 4, RefitOnAll = false });
        var refit = HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 4 });

        Assert.Equal(labels.Length - kept.ValidationImages, kept.TrainingImages);
        Assert.Equal(kept.BestEpoch, refit.BestEpoch);
        Assert.NotEqual(kept.Head.W1, refit.Head.W1);
    }

    [Fact]
    public void Bad_options_and_inputs_are_refused()
    {
        var (vectors, labels) = Entangled(2, 5, 1);

        Assert.Throws<ArgumentException>(() => HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 0 }));
        Assert.Throws<ArgumentException>(() => HeadTrainer.Train(vectors, 32, labels, Small with { LearningRate = 0 }));
        Assert.Throws<ArgumentException>(() => HeadTrainer.Train(vectors, 31, labels, Small));
    }
}
