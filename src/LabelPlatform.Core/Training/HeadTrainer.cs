using System.Diagnostics;
using System.Numerics.Tensors;
using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Core.Training;

public enum TrainingLoss
{
    /// <summary>Normalised softmax over one learned proxy per class (cosine logits times a scale): a proxy-based loss.</summary>
    ProxySoftmax = 0,

    /// <summary>Triplet loss with batch-hard mining over batches of P classes x K images.</summary>
    BatchHardTriplet = 1,
}

public sealed record TrainingOptions
{
    public int Dimension { get; init; } = 256;

    /// <summary>Hidden ReLU units; 0 trains a linear head.</summary>
    public int Hidden { get; init; } = 2048;
    public int Epochs { get; init; } = 40;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Decoupled weight decay (AdamW) on the layers, not the proxies.</summary>
    public float WeightDecay { get; init; } = 1e-4f;
    public TrainingLoss Loss { get; init; } = TrainingLoss.ProxySoftmax;

    /// <summary>Proxy loss: cosine logits are multiplied by this (an inverse temperature).</summary>
    public float Scale { get; init; } = 4f;

    /// <summary>Triplet loss: margin between the hardest positive and the hardest negative (Euclidean, unit vectors).</summary>
    public float Margin { get; init; } = 0.2f;

    /// <summary>Triplet loss: images per class in a batch (batch = BatchSize / this classes).</summary>
    public int ImagesPerClass { get; init; } = 4;

    /// <summary>Share of each class's training images held out to pick the epoch (validation P@10).</summary>
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

        if (ValidationShare is < 0 or >= 0.9 || Patience < 1 || ImagesPerClass < 2 || !(Scale > 0) || !(Margin >= 0))
        {
            return "validation share must be in [0, 0.9), patience at least 1, images per class at least 2";
        }

        return null;
    }
}

public sealed record EpochResult(int Epoch, double Loss, double ValidationPrecisionAt10, double Seconds);

public sealed record TrainingResult(ProjectionHead Head, IReadOnlyList<EpochResult> Curve, int BestEpoch, double BestValidationPrecisionAt10, int TrainingImages, int ValidationImages, double Seconds);

/// <summary>
/// Trains a <see cref="ProjectionHead"/> on frozen base embeddings with Adam, by hand-written backpropagation
/// (System.Numerics.Tensors for the vector work). Single-threaded on purpose: with a seed, the same inputs give the
/// same weights bit for bit. Per epoch it measures P@10 on held-out training images (leave-one-out among them) and
/// keeps the best epoch's weights; it stops early when that stops improving.
/// </summary>
public static class HeadTrainer
{
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
        var (train, validation) = HoldOut(labels, options.ValidationShare, random);
        if (train.Length < 2)
        {
            throw new ArgumentException("too few training images", nameof(labels));
        }

        var classes = labels.Distinct().Order().ToArray();
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        var y = labels.Select(l => classIndex[l]).ToArray();

        var head = new ProjectionHead(dimension, options.Hidden, options.Dimension);
        Initialise(head.W1, head.Hidden > 0 ? MathF.Sqrt(2f / dimension) : MathF.Sqrt(1f / dimension), random);
        Initialise(head.W2, head.Hidden > 0 ? MathF.Sqrt(1f / head.Hidden) : 0, random);
        var proxies = new float[classes.Length * options.Dimension];
        Initialise(proxies, 1f, random);

        var parameters = new List<Parameter> { new(head.W1, options.WeightDecay), new(head.B1, 0) };
        if (head.Hidden > 0)
        {
            parameters.Add(new Parameter(head.W2, options.WeightDecay));
            parameters.Add(new Parameter(head.B2, 0));
        }

        var proxyParameter = new Parameter(proxies, 0);
        if (options.Loss == TrainingLoss.ProxySoftmax)
        {
            parameters.Add(proxyParameter);
        }

        var work = new BatchWork(options.BatchSize, dimension, head.Hidden, options.Dimension, classes.Length);
        var curve = new List<EpochResult>();
        var best = (Epoch: 0, Score: double.NegativeInfinity, W1: (float[])head.W1.Clone(), B1: (float[])head.B1.Clone(), W2: (float[])head.W2.Clone(), B2: (float[])head.B2.Clone());
        var step = 0;
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
                parameters.ForEach(p => p.ZeroGradient());
                var loss = Step(head, vectors, dimension, y, batch, options, proxies, proxyParameter.Gradient, parameters, work);
                if (double.IsFinite(loss))
                {
                    lossSum += loss;
                    lossCount++;
                }

                step++;
                foreach (var p in parameters)
                {
                    p.Adam(options.LearningRate, step);
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
        return new TrainingResult(head, curve, best.Epoch, double.IsNegativeInfinity(best.Score) ? double.NaN : best.Score, train.Length, validation.Length, total.Elapsed.TotalSeconds);
    }

    /// <summary>Per class, a seeded share of the images (none from classes under 4 images) is held out for validation.</summary>
    private static (int[] Train, int[] Validation) HoldOut(int[] labels, double share, Random random)
    {
        var train = new List<int>();
        var validation = new List<int>();
        foreach (var group in Enumerable.Range(0, labels.Length).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            var held = members.Length >= 4 ? (int)Math.Round(members.Length * share) : 0;
            validation.AddRange(members.Take(held));
            train.AddRange(members.Skip(held));
        }

        train.Sort();
        validation.Sort();
        return ([.. train], [.. validation]);
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

    private sealed class Parameter(float[] value, float weightDecay)
    {
        public float[] Value { get; } = value;
        public float[] Gradient { get; } = new float[value.Length];
        private readonly float[] _m = new float[value.Length];
        private readonly float[] _v = new float[value.Length];

        public void ZeroGradient() => Array.Clear(Gradient);

        public void Adam(float learningRate, int step)
        {
            const float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;
            var correction1 = 1 - MathF.Pow(beta1, step);
            var correction2 = 1 - MathF.Pow(beta2, step);
            for (var i = 0; i < Value.Length; i++)
            {
                var g = Gradient[i];
                _m[i] = (beta1 * _m[i]) + ((1 - beta1) * g);
                _v[i] = (beta2 * _v[i]) + ((1 - beta2) * g * g);
                Value[i] -= learningRate * (((_m[i] / correction1) / (MathF.Sqrt(_v[i] / correction2) + epsilon)) + (weightDecay * Value[i]));
            }
        }
    }

    private sealed class BatchWork(int batch, int input, int hidden, int output, int classes)
    {
        public readonly float[] Hidden = new float[Math.Max(1, batch * hidden)];
        public readonly float[] Z = new float[batch * output];
        public readonly float[] Norms = new float[batch];
        public readonly float[] Dz = new float[batch * output];
        public readonly float[] Du = new float[output];
        public readonly float[] Dh = new float[Math.Max(1, hidden)];
        public readonly float[] Logits = new float[classes];
        public readonly float[] UnitProxies = new float[classes * output];
        public readonly float[] ProxyNorms = new float[classes];
        public readonly float[] DUnitProxies = new float[classes * output];
        public int InputSize => input;
    }

    /// <summary>Forward, loss and gradients for one batch; returns the mean loss.</summary>
    private static double Step(ProjectionHead head, float[] vectors, int d, int[] y, int[] batch, TrainingOptions options, float[] proxies, float[] proxyGradient, List<Parameter> parameters, BatchWork w)
    {
        int output = head.Output, hidden = head.Hidden, b = batch.Length;
        for (var i = 0; i < b; i++)
        {
            var x = vectors.AsSpan(batch[i] * d, d);
            w.Norms[i] = head.Forward(x, w.Z.AsSpan(i * output, output), hidden > 0 ? w.Hidden.AsSpan(i * hidden, hidden) : default);
        }

        Array.Clear(w.Dz, 0, b * output);
        var loss = options.Loss == TrainingLoss.ProxySoftmax
            ? ProxyLoss(y, batch, options.Scale, proxies, output, w)
            : TripletLoss(y, batch, options.Margin, output, w);

        var gW1 = parameters[0].Gradient;
        var gB1 = parameters[1].Gradient;
        for (var i = 0; i < b; i++)
        {
            var x = vectors.AsSpan(batch[i] * d, d);
            var z = w.Z.AsSpan(i * output, output);
            var dz = w.Dz.AsSpan(i * output, output);
            // Through the L2 normalisation: du = (dz - z (z . dz)) / |u|.
            var du = w.Du.AsSpan();
            TensorPrimitives.Multiply(z, -TensorPrimitives.Dot(z, dz), du);
            TensorPrimitives.Add(du, dz, du);
            TensorPrimitives.Divide(du, Math.Max(w.Norms[i], 1e-12f), du);
            if (hidden == 0)
            {
                Accumulate(gW1, gB1, du, x);
                continue;
            }

            var h = w.Hidden.AsSpan(i * hidden, hidden);
            Accumulate(parameters[2].Gradient, parameters[3].Gradient, du, h);
            var dh = w.Dh.AsSpan();
            dh.Clear();
            for (var j = 0; j < output; j++)
            {
                if (du[j] != 0)
                {
                    TensorPrimitives.MultiplyAdd(head.W2.AsSpan(j * hidden, hidden), du[j], dh, dh);
                }
            }

            for (var k = 0; k < hidden; k++)
            {
                if (h[k] <= 0)
                {
                    dh[k] = 0;
                }
            }

            Accumulate(gW1, gB1, dh, x);
        }

        return loss;
    }

    /// <summary>gW[j] += dy[j] * x for each output j; gB += dy.</summary>
    private static void Accumulate(float[] gW, float[] gB, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
    {
        var n = x.Length;
        for (var j = 0; j < dy.Length; j++)
        {
            if (dy[j] != 0)
            {
                var row = gW.AsSpan(j * n, n);
                TensorPrimitives.MultiplyAdd(x, dy[j], row, row);
            }
        }

        TensorPrimitives.Add(gB.AsSpan(0, dy.Length), dy, gB.AsSpan(0, dy.Length));
    }

    private static double ProxyLoss(int[] y, int[] batch, float scale, float[] proxies, int output, BatchWork w)
    {
        var classes = w.ProxyNorms.Length;
        for (var c = 0; c < classes; c++)
        {
            var p = proxies.AsSpan(c * output, output);
            var norm = Math.Max(TensorPrimitives.Norm(p), 1e-12f);
            w.ProxyNorms[c] = norm;
            TensorPrimitives.Divide(p, norm, w.UnitProxies.AsSpan(c * output, output));
        }

        Array.Clear(w.DUnitProxies);
        var b = batch.Length;
        double loss = 0;
        for (var i = 0; i < b; i++)
        {
            var z = w.Z.AsSpan(i * output, output);
            for (var c = 0; c < classes; c++)
            {
                w.Logits[c] = scale * TensorPrimitives.Dot(z, w.UnitProxies.AsSpan(c * output, output));
            }

            var max = TensorPrimitives.Max<float>(w.Logits);
            double sum = 0;
            for (var c = 0; c < classes; c++)
            {
                sum += Math.Exp(w.Logits[c] - max);
            }

            var target = y[batch[i]];
            loss += -(w.Logits[target] - max - Math.Log(sum));
            var dz = w.Dz.AsSpan(i * output, output);
            for (var c = 0; c < classes; c++)
            {
                var g = (float)((Math.Exp(w.Logits[c] - max) / sum) - (c == target ? 1 : 0)) / b * scale;
                if (Math.Abs(g) < 1e-12f)
                {
                    continue;
                }

                TensorPrimitives.MultiplyAdd(w.UnitProxies.AsSpan(c * output, output), g, dz, dz);
                var dp = w.DUnitProxies.AsSpan(c * output, output);
                TensorPrimitives.MultiplyAdd(z, g, dp, dp);
            }
        }

        return loss / b;
    }

    /// <summary>Batch-hard triplet loss (Hermans et al. 2017) on Euclidean distances between unit vectors.</summary>
    private static double TripletLoss(int[] y, int[] batch, float margin, int output, BatchWork w)
    {
        var b = batch.Length;
        double loss = 0;
        for (var a = 0; a < b; a++)
        {
            var za = w.Z.AsSpan(a * output, output);
            int positive = -1, negative = -1;
            float far = -1, near = float.MaxValue;
            for (var j = 0; j < b; j++)
            {
                if (j == a)
                {
                    continue;
                }

                var distance = MathF.Sqrt(MathF.Max(2 - (2 * TensorPrimitives.Dot(za, w.Z.AsSpan(j * output, output))), 1e-12f));
                if (y[batch[j]] == y[batch[a]])
                {
                    if (distance > far && batch[j] != batch[a])
                    {
                        (far, positive) = (distance, j);
                    }
                }
                else if (distance < near)
                {
                    (near, negative) = (distance, j);
                }
            }

            if (positive < 0 || negative < 0 || margin + far - near <= 0)
            {
                continue;
            }

            loss += margin + far - near;
            // d(a,p) = sqrt(2 - 2 za.zp): d/dza = -zp / d, d/dzp = -za / d.
            var zp = w.Z.AsSpan(positive * output, output);
            var zn = w.Z.AsSpan(negative * output, output);
            var dza = w.Dz.AsSpan(a * output, output);
            TensorPrimitives.MultiplyAdd(zp, -1f / far / b, dza, dza);
            TensorPrimitives.MultiplyAdd(zn, 1f / near / b, dza, dza);
            var dzp = w.Dz.AsSpan(positive * output, output);
            TensorPrimitives.MultiplyAdd(za, -1f / far / b, dzp, dzp);
            var dzn = w.Dz.AsSpan(negative * output, output);
            TensorPrimitives.MultiplyAdd(za, 1f / near / b, dzn, dzn);
        }

        return loss / b;
    }

    /// <summary>
    /// P@10 of the held-out images as queries against the training images as candidates (the split's task in
    /// miniature: unseen queries, candidates of the same classes), through the same evaluator the reports use.
    /// </summary>
    private static double ValidationPrecisionAt10(ProjectionHead head, float[] vectors, int d, int[] labels, int[] validation, int[] train)
    {
        float[] Embed(int[] rows)
        {
            var embedded = new float[rows.Length * head.Output];
            for (var i = 0; i < rows.Length; i++)
            {
                head.Forward(vectors.AsSpan(rows[i] * d, d), embedded.AsSpan(i * head.Output, head.Output));
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
