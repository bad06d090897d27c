using LabelPlatform.Core.Training;

namespace LabelPlatform.Tests.Training;

/// <summary>Which training images are held out to pick the epoch, and what training does when they are too few.</summary>
public class ValidationSplitTests
{
    private static readonly TrainingOptions Small = new() { Head = HeadKind.Mlp, BaseShare = 0, Dimension = 8, Hidden = 16, Epochs = 5, BatchSize = 32, Scale = 8, LearningRate = 0.01f };

    private static int[] Labels(params (int Label, int Images)[] classes) => [.. classes.SelectMany(c => Enumerable.Repeat(c.Label, c.Images))];

    [Fact]
    public void Every_class_of_two_or_more_images_gives_one_to_validation_and_keeps_one_rounding_half_away_from_zero()
    {
        // Banker's rounding held out none of 5 (0.5 -> 0) and 2 of 25 (2.5 -> 2).
        var labels = Labels((1, 1), (2, 2), (3, 5), (4, 25), (5, 40));

        var (train, validation) = HeadTrainer.HoldOut(labels, 0.1, new Random(1));

        var held = validation.GroupBy(i => labels[i]).ToDictionary(g => g.Key, g => g.Count());
        Assert.False(held.ContainsKey(1));
        Assert.Equal(1, held[2]);
        Assert.Equal(1, held[3]);
        Assert.Equal(3, held[4]);
        Assert.Equal(4, held[5]);
        Assert.Equal(labels.Distinct(), train.Select(i => labels[i]).Distinct());
        Assert.Equal(Enumerable.Range(0, labels.Length), train.Concat(validation).Order());
    }

    [Fact]
    public void Classes_of_five_training_images_validate_and_pick_the_epoch()
    {
        var (vectors, labels) = HeadTrainerTests.Entangled(10, 5, 2);

        var result = HeadTrainer.Train(vectors, 32, labels, Small with { RefitOnAll = false });

        Assert.Equal(10, result.ValidationImages);
        Assert.Equal(40, result.TrainingImages);
        Assert.Equal(EpochChoice.BestValidation, result.EpochChoice);
        Assert.Null(result.ValidationNote);
        Assert.All(result.Curve, e => Assert.False(double.IsNaN(e.ValidationPrecisionAt10)));
    }

    [Fact]
    public void A_validation_set_too_small_to_decide_falls_back_to_the_fixed_epochs_and_says_so()
    {
        // 31 images of class 1 give 3 to validation; the lone image of class 2 gives none: 3 images of 1 class.
        var (vectors, labels) = HeadTrainerTests.Entangled(2, 16, 4);
        labels = [.. labels.Select((l, i) => i < 31 ? 1 : 2)];
        Assert.Equal(1, labels.Count(l => l == 2));

        var result = HeadTrainer.Train(vectors, 32, labels, Small);

        Assert.Equal(EpochChoice.Fixed, result.EpochChoice);
        Assert.NotNull(result.ValidationNote);
        Assert.StartsWith("validation too small (3 images of 1 class;", result.ValidationNote, StringComparison.Ordinal);
        Assert.EndsWith("trained a fixed 5 epochs on all 32 training images", result.ValidationNote, StringComparison.Ordinal);
        Assert.Equal(Small.Epochs, result.Curve.Count);
        Assert.Equal(Small.Epochs, result.BestEpoch);
        Assert.Equal(0, result.ValidationImages);
        Assert.Equal(labels.Length, result.TrainingImages);
        Assert.True(double.IsNaN(result.BestValidationPrecisionAt10));
    }

    [Fact]
    public void Few_images_of_several_classes_are_too_few_as_well()
    {
        // 3 classes of 5: one validation image each, 3 in all.
        var (vectors, labels) = HeadTrainerTests.Entangled(3, 5, 5);

        var result = HeadTrainer.Train(vectors, 32, labels, Small with { Epochs = 3 });

        Assert.Equal(EpochChoice.Fixed, result.EpochChoice);
        Assert.StartsWith("validation too small (3 images of 3 classes;", result.ValidationNote, StringComparison.Ordinal);
        Assert.Equal(3, result.Curve.Count);
        Assert.Equal(15, result.TrainingImages);
    }
}
