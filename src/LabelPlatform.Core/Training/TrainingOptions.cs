namespace LabelPlatform.Core.Training;

public enum TrainingLoss
{
    /// <summary>Normalised softmax over one learned proxy per class (cosine logits times a scale): a proxy-based loss.</summary>
    ProxySoftmax = 0,

    /// <summary>Triplet loss with batch-hard mining over batches of P classes x K images.</summary>
    BatchHardTriplet = 1,
}

public enum HeadKind
{
    /// <summary>x -> [W1, ReLU] -> W2 -> L2 normalisation (the hidden layer only when Hidden is above 0).</summary>
    Mlp = 0,

    /// <summary>
    /// z = L2norm(x + W2 ReLU(W1 x + b1) + b2): the output has the input's dimension, and W2 and b2 start at zero so
    /// training starts from the base embedding and learns a correction to it.
    /// </summary>
    Residual = 1,
}

public sealed record TrainingOptions
{
    /// <summary>Output dimension of an <see cref="HeadKind.Mlp"/> head; a residual head keeps its input's dimension.</summary>
    public int Dimension { get; init; } = 256;

    /// <summary>Hidden ReLU units; 0 trains a linear head (MLP only).</summary>
    public int Hidden { get; init; } = 1024;
    public int Epochs { get; init; } = 40;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Decoupled weight decay (AdamW) on the layers, not the proxies.</summary>
    public float WeightDecay { get; init; } = 1e-4f;
    public TrainingLoss Loss { get; init; } = TrainingLoss.ProxySoftmax;
    /// <summary>
    /// Residual by default: with <see cref="Correction"/> and <see cref="BaseShare"/> it stays near the base model, the
    /// design that gained on its own split without losing on held-out classes (README, Training).
    /// </summary>
    public HeadKind Head { get; init; } = HeadKind.Residual;

    /// <summary>
    /// λ of a regulariser that keeps the base model's neighbourhoods: adds λ · mean over pairs i ≠ j of a batch of
    /// (z_i·z_j - x_i·x_j)², z the head's outputs and x the unit inputs. 0 turns it off.
    /// </summary>
    public float NeighbourhoodWeight { get; init; }

    /// <summary>
    /// Residual heads: the scale of the learned correction when the trained head embeds (training runs at 1). Below 1
    /// the head stays closer to the base model, which keeps classes it was not trained on apart.
    /// </summary>
    public float Correction { get; init; } = DefaultCorrection;

    public const float DefaultCorrection = 0.3f;

    /// <summary>
    /// The share of the base model's cosine similarity mixed into the trained head's when it embeds (vectors
    /// [√s·x, √(1−s)·z]); 0 uses the head's alone. Training runs on the head alone.
    /// </summary>
    public float BaseShare { get; init; } = DefaultBaseShare;

    public const float DefaultBaseShare = 0.6f;

    /// <summary>Proxy loss: cosine logits are multiplied by this (an inverse temperature).</summary>
    public float Scale { get; init; } = 4f;

    /// <summary>Triplet loss: margin between the hardest positive and the hardest negative (Euclidean, unit vectors).</summary>
    public float Margin { get; init; } = 0.2f;

    /// <summary>Triplet loss: images per class in a batch (batch = BatchSize / this classes).</summary>
    public int ImagesPerClass { get; init; } = 4;

    /// <summary>
    /// Share of each class's training images held out to pick the epoch (validation P@10): rounded half away from
    /// zero, at least one image of every class with 2 or more and never all of a class. When the held-out images
    /// are too few to decide (see <see cref="HeadTrainer.MinimumValidationImages"/>), none are held out and training
    /// runs a fixed <see cref="Epochs"/>.
    /// </summary>
    public double ValidationShare { get; init; } = 0.1;

    /// <summary>
    /// After the held-out images picked the number of epochs, train again from scratch on all training images for
    /// that many epochs (the held-out tenth is data too).
    /// </summary>
    public bool RefitOnAll { get; init; } = true;

    /// <summary>Stop after this many epochs without a better validation P@10.</summary>
    public int Patience { get; init; } = 6;
    public int Seed { get; init; } = 2021;

    public string? Problem()
    {
        if (Dimension is < 2 or > 4096 || Hidden is < 0 or > 8192)
        {
            return "dimension must be 2-4096 and hidden units 0-8192";
        }

        if (Epochs is < 1 or > 1000 || BatchSize is < 2 or > 4096 || !(LearningRate > 0) || LearningRate > 1)
        {
            return "epochs must be 1-1000, batch size 2-4096 and the learning rate in (0, 1]";
        }

        if (WeightDecay is < 0 or > 1)
        {
            return "weight decay must be in [0, 1]";
        }

        if (!Enum.IsDefined(Head) || (Head == HeadKind.Residual && Hidden == 0))
        {
            return "the head must be an MLP or a residual head, and a residual head needs hidden units";
        }

        if (!(Correction is >= 0 and <= 10) || !(BaseShare is >= 0 and < 1))
        {
            return "the correction scale must be in [0, 10] and the base share in [0, 1)";
        }

        if (!(NeighbourhoodWeight >= 0) || NeighbourhoodWeight > 1000)
        {
            return "the neighbourhood weight must be in [0, 1000]";
        }

        if (ValidationShare is < 0 or >= 0.9 || Patience < 1 || ImagesPerClass < 2 || !(Scale > 0) || !(Margin >= 0))
        {
            return "validation share must be in [0, 0.9), patience at least 1, images per class at least 2";
        }

        return null;
    }
}

public sealed record EpochResult(int Epoch, double Loss, double ValidationPrecisionAt10, double Seconds);

/// <summary>How the number of epochs was chosen.</summary>
public enum EpochChoice
{
    /// <summary>The epoch with the best validation P@10 on the held-out images (training stops early when it stops improving).</summary>
    BestValidation = 0,

    /// <summary>A fixed <see cref="TrainingOptions.Epochs"/>: no held-out images, or too few to decide (<see cref="TrainingResult.ValidationNote"/> says which).</summary>
    Fixed = 1,
}

public sealed record TrainingResult(ProjectionHead Head, IReadOnlyList<EpochResult> Curve, int BestEpoch, double BestValidationPrecisionAt10, int TrainingImages, int ValidationImages, double Seconds)
{
    public EpochChoice EpochChoice { get; init; } = EpochChoice.BestValidation;

    /// <summary>For people (report, CLI): why the epochs were fixed, e.g. "validation too small (...): trained a fixed 40 epochs ..."; null when validation chose them.</summary>
    public string? ValidationNote { get; init; }
}
