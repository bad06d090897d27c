using LabelPlatform.Core.Labelling;
using System.Diagnostics;
using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Core.Training;

/// <summary>
/// Trains a <see cref="ProjectionHead"/> on frozen base embeddings: the epochs, batches, early stopping and refit.
/// The pieces are <see cref="HeadBackprop"/> (the head's forward and backward passes), <see cref="ProxySoftmaxLoss"/>
/// or <see cref="BatchHardTripletLoss"/> (plus <see cref="NeighbourhoodLoss"/> when weighted) and <see cref="AdamW"/>,
/// hand-written over System.Numerics.Tensors. Single-threaded on purpose: with a seed, the same inputs give the same
/// weights bit for bit. Per epoch it measures P@10 of held-out training images against the others and keeps the best
/// epoch's weights; it stops early when that stops improving. Too few held-out images train a fixed number of epochs.
/// </summary>
public static class HeadTrainer
{
    /// <summary>
    /// Fewer held-out images than this, or images of fewer than <see cref="MinimumValidationClasses"/> classes, are
    /// too few to pick an epoch (P@10 of a handful of queries is mostly noise): then nothing is held out and
    /// training runs the fixed number of epochs, which the result says.
    /// </summary>
    public const int MinimumValidationImages = 10;

    public const int MinimumValidationClasses = 2;

    public static TrainingResult Train(float[] vectors, int dimension, int[] labels, TrainingOptions options, Action<EpochResult>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var n = labels.Length;
        if (vectors.Length != n * dimension)
        {
            throw new ArgumentException($"{vectors.Length} values are not {n} vectors of {dimension}", nameof(vectors));
        }

        var total = Stopwatch.StartNew();
        var random = new Random(options.Seed);
        var (train, validation, fixedEpochs) = SplitForValidation(labels, options, random);
        if (train.Length < 2)
        {
            throw new ArgumentException("too few training images", nameof(labels));
        }

        var classes = labels.Distinct().Order().ToArray();
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        var y = labels.Select(l => classIndex[l]).ToArray();

        var head = InitialHead(dimension, options, random);
        var proxies = new float[classes.Length * head.Output];
        Initialise(proxies, 1f, random);
        var step = new BatchStep(head, proxies, classes.Length, dimension, options, y);
        var curve = new List<EpochResult>();
        var best = (Epoch: 0, Score: double.NegativeInfinity, W1: (float[])head.W1.Clone(), B1: (float[])head.B1.Clone(), W2: (float[])head.W2.Clone(), B2: (float[])head.B2.Clone());
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var batches = options.Loss == TrainingLoss.ProxySoftmax
                ? ShuffledBatches(train, options.BatchSize, random)
                : ClassBalancedBatches(train, y, options.BatchSize, options.ImagesPerClass, random);
            double lossSum = 0;
            var lossCount = 0;
            foreach (var batch in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var loss = step.Run(vectors, batch);
                if (double.IsFinite(loss))
                {
                    lossSum += loss;
                    lossCount++;
                }
            }

            var score = validation.Length > 0 ? ValidationPrecisionAt10(head, vectors, dimension, labels, validation, train) : double.NaN;
            var result = new EpochResult(epoch, lossCount == 0 ? 0 : lossSum / lossCount, score, clock.Elapsed.TotalSeconds);
            curve.Add(result);
            onEpoch?.Invoke(result);
            if (double.IsNaN(score) || score > best.Score)
            {
                best = (epoch, double.IsNaN(score) ? best.Score : score, (float[])head.W1.Clone(), (float[])head.B1.Clone(), (float[])head.W2.Clone(), (float[])head.B2.Clone());
            }
            else if (epoch - best.Epoch >= options.Patience)
            {
                break;
            }
        }

        if (options.RefitOnAll && validation.Length > 0 && best.Epoch > 0)
        {
            var refit = Train(vectors, dimension, labels, options with { ValidationShare = 0, Epochs = best.Epoch, RefitOnAll = false, Seed = options.Seed + 1 }, null, cancellationToken);
            return new TrainingResult(refit.Head, curve, best.Epoch, best.Score, train.Length + validation.Length, validation.Length, total.Elapsed.TotalSeconds);
        }

        best.W1.CopyTo(head.W1, 0);
        best.B1.CopyTo(head.B1, 0);
        best.W2.CopyTo(head.W2, 0);
        best.B2.CopyTo(head.B2, 0);
        // Training and validation ran on the head as trained; these apply from here on, where it embeds for search.
        head.Correction = options.Correction;
        head.BaseShare = options.BaseShare;
        return new TrainingResult(head, curve, best.Epoch, double.IsNegativeInfinity(best.Score) ? double.NaN : best.Score, train.Length, validation.Length, total.Elapsed.TotalSeconds)
        {
            EpochChoice = fixedEpochs is null ? EpochChoice.BestValidation : EpochChoice.Fixed,
            ValidationNote = fixedEpochs,
        };
    }

    /// <summary>
    /// The images to train on and those held out to pick the epoch; when none are held out, or too few to decide, all
    /// train for the fixed number of epochs and the note says why.
    /// </summary>
    private static (int[] Train, int[] Validation, string? FixedEpochs) SplitForValidation(int[] labels, TrainingOptions options, Random random)
    {
        var n = labels.Length;
        var (train, validation) = HoldOut(labels, options.ValidationShare, random);
        if (validation.Length == 0)
        {
            return (train, validation, options.ValidationShare > 0
                ? $"no class has 2 training images to hold one out: trained a fixed {options.Epochs} epochs on all {n} training images"
                : $"no images held out (validation share 0): trained a fixed {options.Epochs} epochs");
        }

        var classes = validation.Select(i => labels[i]).Distinct().Count();
        if (validation.Length < MinimumValidationImages || classes < MinimumValidationClasses)
        {
            var held = $"{validation.Length} image{(validation.Length == 1 ? "" : "s")} of {classes} class{(classes == 1 ? "" : "es")}";
            var needed = $"choosing the epoch needs at least {MinimumValidationImages} images of {MinimumValidationClasses} classes";
            return ([.. Enumerable.Range(0, n)], [], $"validation too small ({held}; {needed}): trained a fixed {options.Epochs} epochs on all {n} training images");
        }

        return (train, validation, null);
    }

    /// <summary>
    /// Per class, a seeded share of the images is held out for validation: rounded half away from zero (banker's
    /// rounding held out none of a class of 5 at a tenth), at least one image of a class with 2 or more, never all.
    /// </summary>
    internal static (int[] Train, int[] Validation) HoldOut(int[] labels, double share, Random random)
    {
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            var held = share > 0 && members.Length >= 2 ? Math.Clamp((int)Math.Round(members.Length * share, MidpointRounding.AwayFromZero), 1, members.Length - 1) : 0;
            validation.AddRange(members.Take(held));
            train.AddRange(members.Skip(held));
        }

        train.Sort();
        validation.Sort();
        return ([.. train], [.. validation]);
    }

    /// <summary>
    /// He-initialised first layer; the second layer scaled to its fan-in, or zero for a residual head so that it starts
    /// as the identity (up to the normalisation) and training starts at the base embedding.
    /// </summary>
    internal static ProjectionHead InitialHead(int dimension, TrainingOptions options, Random random)
    {
        var residual = options.Head == HeadKind.Residual;
        var head = new ProjectionHead(dimension, options.Hidden, residual ? dimension : options.Dimension, residual);
        Initialise(head.W1, head.Hidden > 0 ? MathF.Sqrt(2f / dimension) : MathF.Sqrt(1f / dimension), random);
        if (!residual)
        {
            Initialise(head.W2, head.Hidden > 0 ? MathF.Sqrt(1f / head.Hidden) : 0, random);
        }

        return head;
    }

    private static void Initialise(float[] weights, float std, Random random)
    {
        for (var i = 0; i < weights.Length; i += 2)
        {
            // Box-Muller: two standard normals from two uniforms.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            var r = Math.Sqrt(-2.0 * Math.Log(u1));
            weights[i] = (float)(r * Math.Cos(2 * Math.PI * u2)) * std;
            if (i + 1 < weights.Length)
            {
                weights[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2)) * std;
            }
        }
    }

    private static List<int[]> ShuffledBatches(int[] train, int batchSize, Random random)
    {
        var order = (int[])train.Clone();
        random.Shuffle(order);
        return [.. order.Chunk(batchSize).Where(b => b.Length >= 2)];
    }

    /// <summary>P classes x K images per batch (classes with at least 2 training images), covering about one epoch of images.</summary>
    private static List<int[]> ClassBalancedBatches(int[] train, int[] y, int batchSize, int perClass, Random random)
    {
        var byClass = train.GroupBy(i => y[i]).Where(g => g.Count() >= 2).OrderBy(g => g.Key).Select(g => g.ToArray()).ToArray();
        var classesPerBatch = Math.Max(2, batchSize / perClass);
        var batches = new List<int[]>();
        for (var b = 0; b < Math.Max(1, train.Length / batchSize); b++)
        {
            var chosen = byClass.OrderBy(_ => random.Next()).Take(classesPerBatch);
            batches.Add([.. chosen.SelectMany(members => Enumerable.Range(0, perClass).Select(_ => members[random.Next(members.Length)]))]);
        }

        return batches;
    }

    /// <summary>
    /// One optimisation step on a batch: the head's forward pass, the loss (plus the neighbourhood regulariser when
    /// it has a weight) and its gradient w.r.t. the batch's embeddings (and the proxies), the backward pass into the
    /// head's gradients, then an AdamW update.
    /// </summary>
    private sealed class BatchStep
    {
        private readonly HeadBackprop _backprop;
        private readonly AdamW _optimiser;
        private readonly HeadGradients _gradients;
        private readonly float[] _proxies;
        private readonly float[] _proxyGradient;
        private readonly ProxySoftmaxLoss? _proxyLoss;
        private readonly BatchHardTripletLoss? _tripletLoss;
        private readonly NeighbourhoodLoss? _neighbourhoodLoss;
        private readonly int[] _classOf;
        private readonly int _dimension;
        private readonly int _output;
        private readonly float[] _inputs;
        private readonly int[] _targets;
        private readonly float[] _outputGradient;

        public BatchStep(ProjectionHead head, float[] proxies, int classes, int dimension, TrainingOptions options, int[] classOf)
        {
            // The most rows ShuffledBatches or ClassBalancedBatches put in a batch.
            var capacity = options.Loss == TrainingLoss.ProxySoftmax ? options.BatchSize : Math.Max(2, options.BatchSize / options.ImagesPerClass) * options.ImagesPerClass;
            _backprop = new HeadBackprop(head, capacity);
            _optimiser = new AdamW(options.LearningRate);
            // Weight decay on the layers' weights, not on biases or proxies.
            _gradients = new HeadGradients(_optimiser.Add(head.W1, options.WeightDecay), _optimiser.Add(head.B1, 0),
                head.Hidden > 0 ? _optimiser.Add(head.W2, options.WeightDecay) : [], head.Hidden > 0 ? _optimiser.Add(head.B2, 0) : []);
            _proxies = proxies;
            _proxyGradient = options.Loss == TrainingLoss.ProxySoftmax ? _optimiser.Add(proxies, 0) : [];
            _proxyLoss = options.Loss == TrainingLoss.ProxySoftmax ? new ProxySoftmaxLoss(classes, head.Output, options.Scale) : null;
            _tripletLoss = options.Loss == TrainingLoss.BatchHardTriplet ? new BatchHardTripletLoss(head.Output, options.Margin) : null;
            _neighbourhoodLoss = options.NeighbourhoodWeight > 0 ? new NeighbourhoodLoss(dimension, head.Output, options.NeighbourhoodWeight) : null;
            _classOf = classOf;
            _dimension = dimension;
            _output = head.Output;
            _inputs = new float[capacity * dimension];
            _targets = new int[capacity];
            _outputGradient = new float[capacity * head.Output];
        }

        /// <summary>Trains on the images <paramref name="batch"/> (rows of <paramref name="vectors"/>); returns the batch's mean loss.</summary>
        public double Run(float[] vectors, int[] batch)
        {
            var b = batch.Length;
            for (var i = 0; i < b; i++)
            {
                vectors.AsSpan(batch[i] * _dimension, _dimension).CopyTo(_inputs.AsSpan(i * _dimension, _dimension));
                _targets[i] = _classOf[batch[i]];
            }

            var inputs = _inputs.AsSpan(0, b * _dimension);
            var embeddings = _backprop.Outputs.AsSpan(0, b * _output);
            var outputGradient = _outputGradient.AsSpan(0, b * _output);
            _optimiser.ZeroGradients();
            _backprop.Forward(inputs, b);
            outputGradient.Clear();
            var loss = _proxyLoss is not null
                ? _proxyLoss.Forward(embeddings, _targets.AsSpan(0, b), _proxies, outputGradient, _proxyGradient)
                : _tripletLoss!.Forward(embeddings, _targets.AsSpan(0, b), batch, outputGradient);
            if (_neighbourhoodLoss is not null)
            {
                loss += _neighbourhoodLoss.Forward(inputs, embeddings, outputGradient);
            }

            _backprop.Backward(inputs, outputGradient, b, _gradients);
            _optimiser.Step();
            return loss;
        }
    }

    /// <summary>
    /// P@10 of the held-out images as queries against the training images as candidates (the split's task in
    /// miniature: unseen queries, candidates of the same classes), through the same evaluator the reports use.
    /// </summary>
    private static double ValidationPrecisionAt10(ProjectionHead head, float[] vectors, int d, int[] labels, int[] validation, int[] train)
    {
        float[] Embed(int[] rows)
        {
            const int chunk = 256;
            var embedded = new float[rows.Length * head.Output];
            var inputs = new float[chunk * d];
            var hidden = new float[chunk * head.Hidden];
            var norms = new float[chunk];
            for (var start = 0; start < rows.Length; start += chunk)
            {
                var count = Math.Min(chunk, rows.Length - start);
                for (var i = 0; i < count; i++)
                {
                    vectors.AsSpan(rows[start + i] * d, d).CopyTo(inputs.AsSpan(i * d, d));
                }

                head.ForwardRows(inputs, count, embedded.AsSpan(start * head.Output, count * head.Output), hidden, norms);
            }

            return embedded;
        }

        var data = new EvaluationData
        {
            Queries = [.. validation.Select(v => new EvaluationItem(v, labels[v]))],
            Candidates = [.. train.Select(t => new EvaluationItem(t, labels[t]))],
            Classes = [.. labels.Distinct().Select(c => new ClassInfo(c, c.ToString(System.Globalization.CultureInfo.InvariantCulture), false))],
            QueryVectors = Embed(validation),
            CandidateVectors = Embed(train),
            Dimension = head.Output,
        };
        return Evaluator.Evaluate(data, new EvaluationSettings([10], 10, 0) { BootstrapSamples = 0 }).Overall.At(10).Precision;
    }
}
