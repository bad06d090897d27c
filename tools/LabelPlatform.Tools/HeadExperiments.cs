using LabelPlatform.Core.Labelling;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tools;

/// <summary>
/// `heads`: trains head designs on a dataset's stored embeddings and measures each on the article split (seen classes)
/// and the class-disjoint split (held-out classes), per seed, beside the base vectors, with the paired randomisation
/// test of the evaluation reports. Nothing is stored: splits are drawn in memory with the platform's SplitMaker, so
/// the figures are those the `train` verb would give for the same seed.
/// </summary>
internal static class HeadExperiments
{
    /// <summary>
    /// A design: the trainer's options, then ways to apply one trained head, each measured: shares of the base
    /// similarity mixed back in (0: none), and for a residual head, scales of its learned correction (1: as trained).
    /// </summary>
    private sealed record Design(string Name, TrainingOptions Options, double[] BaseShares, double[] Corrections);

    private readonly record struct Variant(double BaseShare, double Correction)
    {
        public string Suffix => (BaseShare > 0 ? $"@mix{BaseShare:0.##}" : "") + (Correction != 1 ? $"@corr{Correction:0.##}" : "");
    }

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The platform's data folder (Storage:DataDirectory)", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Dataset name", Required = true };
        var model = new Option<string>("--model") { Description = "Base model (name or name:path)", DefaultValueFactory = _ => "mobilenetv2:float" };
        var seeds = new Option<int[]>("--seeds") { DefaultValueFactory = _ => [2021], AllowMultipleArgumentsPerToken = true };
        var designs = new Option<string[]>("--design") { Description = "name=spec; spec: mlp|res, h=HIDDEN, d=DIM, nb=LAMBDA, mix=BASE_SHARE, scale=S, loss=proxy|triplet, wd=DECAY", AllowMultipleArgumentsPerToken = true, Required = true };
        var protocols = new Option<string[]>("--protocol") { DefaultValueFactory = _ => [SplitProtocols.Article, SplitProtocols.ClassDisjoint], AllowMultipleArgumentsPerToken = true };
        var parallel = new Option<int>("--parallel") { DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("heads", "Train head designs on stored embeddings; P@10 on seen (article) and held-out (class-disjoint) classes")
        {
            data, dataset, model, seeds, designs, protocols, parallel,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var services = await ToolHost.StartAsync(parse.GetValue(data)!, ct);
            var parsed = parse.GetValue(designs)!.Select(ParseDesign).ToList();
            await RunAsync(services, parse.GetValue(dataset)!, parse.GetValue(model)!, parse.GetValue(seeds)!, parse.GetValue(protocols)!, parsed, parse.GetValue(parallel), ct);
            return 0;
        });
        return command;
    }

    private static Design ParseDesign(string text)
    {
        var (name, spec) = text.Split('=', 2) is [var n, var s] ? (n, s) : (text, text);
        var options = new TrainingOptions();
        double[] mixes = [0];
        double[] corrections = [1];
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (key, value) = part.Split(':', 2) is [var k, var v] ? (k, v) : (part, "");
            double Number() => double.Parse(value, CultureInfo.InvariantCulture);
            options = key switch
            {
                "mlp" => options with { Head = HeadKind.Mlp },
                "res" => options with { Head = HeadKind.Residual },
                "h" => options with { Hidden = (int)Number() },
                "d" => options with { Dimension = (int)Number() },
                "nb" => options with { NeighbourhoodWeight = (float)Number() },
                "scale" => options with { Scale = (float)Number() },
                "wd" => options with { WeightDecay = (float)Number() },
                "lr" => options with { LearningRate = (float)Number() },
                "loss" => options with { Loss = value == "triplet" ? TrainingLoss.BatchHardTriplet : TrainingLoss.ProxySoftmax },
                "mix" or "corr" => options,
                _ => throw new ArgumentException($"unknown design key '{key}' in '{text}'"),
            };
            double[] List() => [.. value.Split('/').Select(v => double.Parse(v, CultureInfo.InvariantCulture))];
            if (key == "mix")
            {
                mixes = List();
            }
            else if (key == "corr")
            {
                corrections = List();
            }
        }

        return new Design(name, options, mixes, corrections);
    }

    private static async Task RunAsync(ServiceProvider services, string datasetName, string modelName, int[] seeds, string[] protocols, List<Design> designs, int parallel, CancellationToken ct)
    {
        var dataset = await services.GetRequiredService<DatasetService>().FindByNameAsync(datasetName, ct) ?? throw new ArgumentException($"no dataset {datasetName}");
        var model = await services.GetRequiredService<ModelRegistry>().ResolveAsync(modelName, ct) ?? throw new ArgumentException($"no model {modelName}");
        var labels = await services.GetRequiredService<GroundTruthService>().CurrentAsync(dataset.Id, ct);
        Dictionary<long, float[]> vectors;
        await using (var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync(ct))
        {
            vectors = (await db.Embeddings.AsNoTracking().Where(e => e.ModelId == model.Id).Select(e => new { e.ImageId, e.Vector }).ToListAsync(ct))
                .ToDictionary(e => e.ImageId, e => VectorCodec.FromBytes(e.Vector));
        }

        var names = labels.Classes.ToDictionary(c => c.Id, c => c.Name);
        var inputs = labels.ClassOf.Where(kv => vectors.ContainsKey(kv.Key)).Select(kv => new SplitInput(kv.Key, kv.Value, labels.ContentOf[kv.Key])).ToList();
        Console.Error.WriteLine($"heads: {dataset.Name}, {model.Label}, {inputs.Count} labelled images with vectors, {designs.Count} designs x {seeds.Length} seeds x {protocols.Length} protocols");
        Console.WriteLine("protocol\tseed\tdesign\tp@10\tbase_p@10\tdelta_p@10\tap@10\tbase_ap@10\tp_value\tbest_epoch\tepoch_choice\tseconds");

        var jobs = (from protocol in protocols from seed in seeds from design in designs select (protocol, seed, design)).ToList();
        var gate = new Lock();
        await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, (job, token) =>
        {
            var (protocol, seed, design) = job;
            var plan = protocol == SplitProtocols.ClassDisjoint ? SplitMaker.ClassDisjoint(inputs, names, seed) : SplitMaker.Article(inputs, names, seed);
            var train = plan.Images.Where(i => i.Role == SplitRole.Training).OrderBy(i => labels.ContentOf[i.ImageId], StringComparer.Ordinal).ToList();
            var evaluated = plan.Images.Where(i => i.Role != SplitRole.Training).OrderBy(i => labels.ContentOf[i.ImageId], StringComparer.Ordinal).ToList();
            var queries = evaluated.Where(i => i.Role is SplitRole.Query or SplitRole.QueryAndCandidate).Select(i => new EvaluationItem(i.ImageId, i.ClassId)).ToList();
            var candidates = evaluated.Where(i => i.Role is SplitRole.Candidate or SplitRole.QueryAndCandidate).Select(i => new EvaluationItem(i.ImageId, i.ClassId)).ToList();
            var dimension = model.Dimension;
            var trainVectors = new float[train.Count * dimension];
            for (var i = 0; i < train.Count; i++)
            {
                vectors[train[i].ImageId].CopyTo(trainVectors, i * dimension);
            }

            var clock = Stopwatch.StartNew();
            var result = HeadTrainer.Train(trainVectors, dimension, [.. train.Select(t => t.ClassId)], design.Options with { Seed = seed }, null, token);
            float[] Embed(IReadOnlyList<EvaluationItem> items, Variant? variant)
            {
                var width = variant is { } v ? OutputWidth(result.Head, v, dimension) : dimension;
                var matrix = new float[items.Count * width];
                for (var i = 0; i < items.Count; i++)
                {
                    var x = vectors[items[i].ImageId];
                    (variant is { } applied ? Apply(result.Head, applied, x) : x).CopyTo(matrix, i * width);
                }

                return matrix;
            }

            EvaluationReport Evaluate(Variant? variant) => Evaluator.Evaluate(new EvaluationData
            {
                Queries = queries,
                Candidates = candidates,
                Classes = labels.Classes,
                QueryVectors = Embed(queries, variant),
                CandidateVectors = Embed(candidates, variant),
                Dimension = variant is { } v ? OutputWidth(result.Head, v, dimension) : dimension,
            }, new EvaluationSettings([10], 10, seed) { BootstrapSamples = 0 }, null, token);

            var baseline = Evaluate(null);
            var seconds = clock.Elapsed.TotalSeconds;
            foreach (var variant in from m in design.BaseShares from c in design.Corrections select new Variant(m, c))
            {
                var comparison = RunComparison.Compare(baseline, Evaluate(variant), 10);
                lock (gate)
                {
                    Console.WriteLine(string.Join('\t', protocol, seed, design.Name + variant.Suffix, F(comparison.PrecisionB), F(comparison.PrecisionA), F(comparison.PrecisionDelta),
                        F(comparison.ApB), F(comparison.ApA), F(comparison.PValue), result.BestEpoch, result.EpochChoice, seconds.ToString("0", CultureInfo.InvariantCulture)));
                }
            }

            return ValueTask.CompletedTask;
        });
    }

    private static int OutputWidth(ProjectionHead head, Variant variant, int dimension) => variant.BaseShare > 0 ? dimension + head.Output : head.Output;

    /// <summary>
    /// The head's vector (a residual head's correction scaled by <see cref="Variant.Correction"/>), or with a base share
    /// s the unit vector [√s·x, √(1−s)·h(x)]: its dot products are s·cos_base + (1−s)·cos_head.
    /// </summary>
    private static float[] Apply(ProjectionHead head, Variant variant, float[] x)
    {
        var z = head.Residual && variant.Correction != 1 ? ScaledResidual(head, x, (float)variant.Correction) : head.Embed(x);
        if (variant.BaseShare <= 0)
        {
            return z;
        }

        var a = (float)Math.Sqrt(variant.BaseShare);
        var b = (float)Math.Sqrt(1 - variant.BaseShare);
        return [.. x.Select(v => v * a), .. z.Select(v => v * b)];
    }

    /// <summary>L2norm(x + c·(W2 ReLU(W1 x + b1) + b2)).</summary>
    private static float[] ScaledResidual(ProjectionHead head, float[] x, float c)
    {
        var h = new float[head.Hidden];
        for (var j = 0; j < h.Length; j++)
        {
            h[j] = Math.Max(0, System.Numerics.Tensors.TensorPrimitives.Dot(head.W1.AsSpan(j * head.Input, head.Input), x) + head.B1[j]);
        }

        var z = new float[head.Output];
        for (var j = 0; j < z.Length; j++)
        {
            z[j] = x[j] + (c * (System.Numerics.Tensors.TensorPrimitives.Dot(head.W2.AsSpan(j * head.Hidden, head.Hidden), h) + head.B2[j]));
        }

        VectorCodec.Normalize(z);
        return z;
    }

    private static string F(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
