using System.CommandLine;
using System.Text.Json;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Training;
using LabelPlatform.Jobs;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `train --dataset NAME (--split NAME | --protocol article --seed S) --base-model NAME [--dim 256] [--epochs N] [--json]`:
/// trains a projection head on the split's training images in this process, registers the result as a model, and
/// evaluates it against the base model on the split's queries and candidates.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var defaults = new TrainingOptions();
        var dataset = new Option<string>("--dataset") { Description = "Dataset name", Required = true };
        var split = new Option<string?>("--split") { Description = "Name of a stored split" };
        var protocol = new Option<string?>("--protocol") { Description = "Draw (or reuse) a split: article, or class-disjoint (half the classes held out: the evaluation is on classes the head never saw)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the split and of training", DefaultValueFactory = _ => EvaluationService.DefaultSeed };
        var baseModel = new Option<string>("--base-model") { Description = "Model whose embeddings the head is trained on", Required = true };
        var name = new Option<string?>("--name") { Description = "Name of the new model (default: BASE-head)" };
        var dim = new Option<int>("--dim") { Description = "Embedding dimension of the head", DefaultValueFactory = _ => defaults.Dimension };
        var hidden = new Option<int>("--hidden") { Description = "Hidden ReLU units (0: a linear head)", DefaultValueFactory = _ => defaults.Hidden };
        var epochs = new Option<int>("--epochs") { Description = "Most epochs (training stops early when validation P@10 stops improving)", DefaultValueFactory = _ => defaults.Epochs };
        var loss = new Option<string>("--loss") { Description = "proxy (normalised softmax over class proxies) or triplet (batch-hard)", DefaultValueFactory = _ => "proxy" };
        var learningRate = new Option<float>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var weightDecay = new Option<float>("--weight-decay") { Description = "AdamW weight decay", DefaultValueFactory = _ => defaults.WeightDecay };
        var scale = new Option<float>("--scale") { Description = "proxy loss: scale of the cosine logits", DefaultValueFactory = _ => defaults.Scale };
        var batch = new Option<int>("--batch-size") { Description = "Images per step", DefaultValueFactory = _ => defaults.BatchSize };
        var head = new Option<string>("--head") { Description = "residual (x + a learned correction, normalised; keeps the base dimension) or mlp (a new embedding of --dim)", DefaultValueFactory = _ => defaults.Head == HeadKind.Residual ? "residual" : "mlp" };
        var correction = new Option<float>("--correction") { Description = "residual head: scale of the learned correction when the head embeds", DefaultValueFactory = _ => defaults.Correction };
        var baseShare = new Option<float>("--base-share") { Description = "share of the base model's cosine similarity mixed into the head's, in [0, 1)", DefaultValueFactory = _ => defaults.BaseShare };
        var neighbourhood = new Option<float>("--neighbourhood") { Description = "weight of the regulariser that keeps the base model's neighbourhoods (0: off)", DefaultValueFactory = _ => defaults.NeighbourhoodWeight };
        var noHeldOut = new Option<bool>("--no-held-out-check") { Description = "Skip training the same head on the class-disjoint split to measure it on classes it never saw" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout" };
        loss.AcceptOnlyFromAmong("proxy", "triplet");
        head.AcceptOnlyFromAmong("residual", "mlp");
        var command = new Command("train", "Train a metric-learning head on a split's training images and evaluate it against its base model")
        {
            dataset, split, protocol, seed, baseModel, name, dim, hidden, epochs, loss, learningRate, weightDecay, scale, batch, head, correction, baseShare, neighbourhood, noHeldOut, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            if ((parse.GetValue(split) is null) == (parse.GetValue(protocol) is null))
            {
                await stderr.WriteLineAsync("error: give either --split NAME or --protocol article|class-disjoint");
                return 2;
            }

            var options = defaults with
            {
                Dimension = parse.GetValue(dim),
                Hidden = parse.GetValue(hidden),
                Epochs = parse.GetValue(epochs),
                Loss = parse.GetValue(loss) == "triplet" ? TrainingLoss.BatchHardTriplet : TrainingLoss.ProxySoftmax,
                LearningRate = parse.GetValue(learningRate),
                WeightDecay = parse.GetValue(weightDecay),
                Scale = parse.GetValue(scale),
                BatchSize = parse.GetValue(batch),
                Head = parse.GetValue(head) == "residual" ? HeadKind.Residual : HeadKind.Mlp,
                Correction = parse.GetValue(correction),
                BaseShare = parse.GetValue(baseShare),
                NeighbourhoodWeight = parse.GetValue(neighbourhood),
                Seed = parse.GetValue(seed),
            };
            if (options.Problem() is { } problem)
            {
                await stderr.WriteLineAsync($"error: {problem}");
                return 2;
            }

            using var host = await PlatformCli.StartHostAsync(settings, ct);
            var services = host.Services;
            if (await PlatformCli.FindDatasetAsync(services, parse.GetValue(dataset)!, stderr, ct) is not { } target)
            {
                return 2;
            }

            EmbeddingModel? chosen;
            try
            {
                chosen = await services.GetRequiredService<ModelRegistry>().ResolveAsync(parse.GetValue(baseModel), ct);
            }
            catch (EmbeddingException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            if (chosen is null)
            {
                await stderr.WriteLineAsync($"error: model '{parse.GetValue(baseModel)}' is not registered (see `models list`)");
                return 2;
            }

            EvaluationSplit? chosenSplit;
            try
            {
                if (parse.GetValue(protocol) is { } protocolName)
                {
                    if (protocolName is not (SplitProtocols.Article or SplitProtocols.ClassDisjoint))
                    {
                        await stderr.WriteLineAsync("error: training needs a split with training images: use --protocol article or class-disjoint");
                        return 2;
                    }

                    chosenSplit = await services.GetRequiredService<EvaluationService>().GetOrCreateSplitAsync(target.Id, null, protocolName, parse.GetValue(seed), $"cli:{Environment.UserName}", cancellationToken: ct);
                }
                else
                {
                    chosenSplit = await services.GetRequiredService<EvaluationService>().FindSplitAsync(target.Id, parse.GetValue(split)!, ct);
                    if (chosenSplit is null)
                    {
                        await stderr.WriteLineAsync($"error: split '{parse.GetValue(split)}' does not exist in dataset {target.Name}");
                        return 2;
                    }
                }
            }
            catch (EvaluationException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            var training = services.GetRequiredService<TrainingService>();
            Core.Jobs.JobRun job;
            try
            {
                job = await training.CreateRunAsync(target.Id, new TrainParameters(chosenSplit.Id, chosen.Id, parse.GetValue(name) ?? $"{chosen.Name}-head", options) { CheckHeldOutClasses = !parse.GetValue(noHeldOut) }, $"cli:{Environment.UserName}", enqueue: false, ct);
            }
            catch (TrainingException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            var (summary, exitCode) = await PlatformCli.RunJobAsync(services, job.Id, "train", c => services.GetRequiredService<TrainJob>().RunAsync(job.Id, c), stderr, ct);
            if (summary is null)
            {
                return exitCode;
            }

            await stdout.WriteLineAsync(parse.GetValue(json)
                ? JsonSerializer.Serialize(ToJson(summary), CliJson.Indented)
                : $"{summary.Describe()}. Evaluation runs {summary.BaseEvaluationRunId} (base) and {summary.EvaluationRunId} (trained); job run {summary.JobRunId}.");
            if (summary.HeldOut?.Warning is { } warning)
            {
                await stderr.WriteLineAsync($"warning: {warning}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>NaN (no validation images) as null: JSON has no NaN.</summary>
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static object ToJson(TrainingSummary s) => new
    {
        model = $"{s.Model.Name}",
        model_version = s.Model.Version,
        model_id = s.Model.Id,
        base_model = $"{s.BaseModel.Name}",
        base_execution_path = s.BaseModel.ExecutionPath,
        split = s.Split,
        job_run_id = s.JobRunId,
        validation = new
        {
            best_epoch = s.BestEpoch,
            precision_at_10 = Finite(s.ValidationPrecisionAt10),
            note = s.ValidationNote,
            training_images = s.TrainingImages,
            validation_images = s.ValidationImages,
        },
        evaluation = new
        {
            k = s.Comparison.K,
            queries = s.Comparison.SharedQueries,
            base_precision_at_k = s.Comparison.PrecisionA,
            precision_at_k = s.Comparison.PrecisionB,
            base_ap_at_k = s.Comparison.ApA,
            ap_at_k = s.Comparison.ApB,
            p_value = s.Comparison.PValue,
            base_run = s.BaseEvaluationRunId,
            trained_run = s.EvaluationRunId,
        },
        held_out_classes = s.HeldOut is not { } h ? null : new
        {
            split = h.Split,
            classes = h.Classes,
            queries = h.Queries,
            base_precision_at_k = h.BasePrecisionAtK,
            precision_at_k = h.PrecisionAtK,
            delta = h.Delta,
            base_ap_at_k = h.BaseApAtK,
            ap_at_k = h.ApAtK,
            p_value = h.PValue,
            best_epoch = h.BestEpoch,
        },
        warnings = s.HeldOut?.Warning is { } w ? new[] { w } : [],
        curve = s.Curve.Select(e => new { epoch = e.Epoch, loss = e.Loss, validation_precision_at_10 = Finite(e.ValidationPrecisionAt10), seconds = e.Seconds }),
        seconds = Math.Round(s.TrainingSeconds, 2),
    };
}
