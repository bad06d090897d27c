using System.CommandLine;
using System.Text.Json;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `evaluate --dataset NAME (--split NAME | --protocol article --seed 2021) --model NAME|random --k 10 [--json FILE]`:
/// draws (or reuses) the split, runs the evaluation in this process and prints the headline figures.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset name", Required = true };
        var split = new Option<string?>("--split") { Description = "Name of a stored split (with --protocol: the name to give the new split)" };
        var protocol = new Option<string?>("--protocol") { Description = $"Draw a split: {string.Join(" or ", SplitProtocols.All)} (reused when one with the same name exists)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the split and of the random baseline", DefaultValueFactory = _ => EvaluationService.DefaultSeed };
        var queries = new Option<int>("--queries-per-class") { Description = "article protocol: queries per class", DefaultValueFactory = _ => 5 };
        var candidates = new Option<int>("--candidates-per-class") { Description = "article protocol: candidates per class", DefaultValueFactory = _ => 15 };
        var model = new Option<string>("--model") { Description = "Model name (latest version), or 'random' for the random baseline", Required = true };
        var k = new Option<int[]>("--k") { Description = "Cut-offs (several allowed: --k 1 5 10 20); the first is the headline one unless --main-k says", DefaultValueFactory = _ => [10], AllowMultipleArgumentsPerToken = true };
        var mainK = new Option<int?>("--main-k") { Description = "Cut-off for the headline figures and the error analysis" };
        var seeds = new Option<int[]>("--seeds") { Description = "With a seeded --protocol (article, class-disjoint): one split and run per seed (e.g. --seeds 2021 2022 2023), then the mean and spread", AllowMultipleArgumentsPerToken = true };
        var json = new Option<string?>("--json") { Description = "Write the results as one JSON object to FILE ('-' for stdout)" };
        var command = new Command("evaluate", "Evaluate search quality on a split: P@K, AP@K (trec_eval and notebook variants), mAP, per class")
        {
            dataset, split, protocol, seed, seeds, queries, candidates, model, k, mainK, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var protocolName = parse.GetValue(protocol);
            var splitName = parse.GetValue(split);
            if (protocolName is null && splitName is null)
            {
                await stderr.WriteLineAsync($"error: give --split NAME or --protocol {string.Join("|", SplitProtocols.All)}");
                return 2;
            }

            var ks = parse.GetValue(k) ?? [10];
            var main = parse.GetValue(mainK) ?? ks[0];
            if (ks.Any(x => x is < 1 or > 1000) || main is < 1 or > 1000)
            {
                await stderr.WriteLineAsync("error: each k must be between 1 and 1000");
                return 2;
            }

            using var host = await PlatformCli.StartHostAsync(settings, ct);
            var services = host.Services;
            if (await PlatformCli.FindDatasetAsync(services, parse.GetValue(dataset)!, stderr, ct) is not { } target)
            {
                return 2;
            }

            var evaluations = services.GetRequiredService<EvaluationService>();
            var startedBy = $"cli:{Environment.UserName}";
            var seedList = parse.GetValue(seeds) is { Length: > 0 } many ? many : [parse.GetValue(seed)];
            if (seedList.Length > 1 && (protocolName is null || !SplitProtocols.IsSeeded(protocolName) || splitName is not null))
            {
                await stderr.WriteLineAsync("error: --seeds goes with a seeded --protocol (article, class-disjoint) and no --split name");
                return 2;
            }

            int? modelId = null;
            if (!string.Equals(parse.GetValue(model), EvaluationMethods.Random, StringComparison.OrdinalIgnoreCase))
            {
                EmbeddingModel? chosen;
                try
                {
                    chosen = await services.GetRequiredService<ModelRegistry>().ResolveAsync(parse.GetValue(model), ct);
                }
                catch (EmbeddingException ex)
                {
                    await stderr.WriteLineAsync($"error: {ex.Message}");
                    return 1;
                }

                if (chosen is null)
                {
                    await stderr.WriteLineAsync($"error: model '{parse.GetValue(model)}' is not registered (see `models list`), and it is not 'random'");
                    return 2;
                }

                modelId = chosen.Id;
            }

            var results = new List<(EvaluationSummary Summary, EvaluationSplit Split)>();
            foreach (var runSeed in seedList)
            {
                EvaluationSplit chosenSplit;
                try
                {
                    if (protocolName is not null)
                    {
                        chosenSplit = await evaluations.GetOrCreateSplitAsync(target.Id, splitName, protocolName, runSeed, startedBy,
                            parse.GetValue(queries), parse.GetValue(candidates), ct);
                    }
                    else
                    {
                        var found = await evaluations.FindSplitAsync(target.Id, splitName!, ct);
                        if (found is null)
                        {
                            await stderr.WriteLineAsync($"error: split '{splitName}' does not exist in dataset {target.Name} (draw one with --protocol)");
                            return 2;
                        }

                        chosenSplit = found;
                    }
                }
                catch (EvaluationException ex)
                {
                    await stderr.WriteLineAsync($"error: {ex.Message}");
                    return 2;
                }

                foreach (var warning in chosenSplit.Warnings?.Split('\n') ?? [])
                {
                    await stderr.WriteLineAsync($"warning: {warning}");
                }

                EvaluationRun run;
                JobRun job;
                try
                {
                    (run, job) = await evaluations.CreateRunAsync(new EvaluationRequest
                    {
                        DatasetId = target.Id,
                        SplitId = chosenSplit.Id,
                        ModelId = modelId,
                        Ks = ks,
                        MainK = main,
                        Seed = runSeed,
                        StartedBy = startedBy,
                    }, enqueue: false, ct);
                }
                catch (EvaluationException ex)
                {
                    // Refused before a run exists (e.g. the model has no embeddings for the split yet).
                    await stderr.WriteLineAsync($"error: evaluate failed: {ex.Message}");
                    return 1;
                }

                var (summary, exitCode) = await PlatformCli.RunJobAsync(services, job.Id, "evaluate",
                    c => services.GetRequiredService<EvaluateJob>().RunAsync(job.Id, c), stderr, ct);
                if (summary is null)
                {
                    return exitCode;
                }

                await stdout.WriteLineAsync($"{summary.Dataset} / {summary.Split} / {summary.Label}: {summary.Describe()} in {summary.Seconds:0.00} s. Evaluation run {run.Id}.");
                results.Add((summary, chosenSplit));
            }

            object output;
            if (results.Count == 1)
            {
                output = ToJson(results[0].Summary, results[0].Split);
            }
            else
            {
                var spread = Spread(results.Select(r => r.Summary.Report).ToList());
                foreach (var (metric, (mean, sd)) in spread)
                {
                    await stdout.WriteLineAsync($"{metric} over {results.Count} seeds: mean {mean:0.0000}, sd {sd:0.0000}");
                }

                output = new
                {
                    seeds = seedList,
                    runs = results.Select(r => ToJson(r.Summary, r.Split)),
                    mean = spread.ToDictionary(x => x.Key, x => x.Value.Mean),
                    sd = spread.ToDictionary(x => x.Key, x => x.Value.Sd),
                };
            }

            if (parse.GetValue(json) is { } file)
            {
                var text = JsonSerializer.Serialize(output, CliJson.Indented);
                if (file == "-")
                {
                    await stdout.WriteLineAsync(text);
                }
                else
                {
                    await File.WriteAllTextAsync(file, text + Environment.NewLine, ct);
                }
            }

            return 0;
        });
        return command;
    }

    /// <summary>Mean and sample standard deviation of the headline figures over runs (one per seed).</summary>
    private static Dictionary<string, (double Mean, double Sd)> Spread(List<EvaluationReport> reports)
    {
        var k = reports[0].MainK;
        var metrics = new Dictionary<string, Func<EvaluationReport, double>>
        {
            ["precision_at_k"] = r => r.Overall.At(k).Precision,
            ["ap_at_k"] = r => r.Overall.At(k).AveragePrecision,
            ["ap_at_k_notebook"] = r => r.Overall.At(k).AveragePrecisionNotebook,
            ["map"] = r => r.Overall.MeanAveragePrecision,
        };
        return metrics.ToDictionary(m => m.Key, m =>
        {
            var values = reports.Select(m.Value).ToList();
            var mean = values.Average();
            var sd = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
            return (mean, sd);
        });
    }

    private static object ToJson(EvaluationSummary summary, EvaluationSplit split)
    {
        var report = summary.Report;
        var main = report.Overall.At(report.MainK);
        using var manifest = JsonDocument.Parse(summary.ManifestJson);
        JsonElement? Part(string name, string? inner = null) =>
            manifest.RootElement.TryGetProperty(name, out var part) && part.ValueKind == JsonValueKind.Object
                ? inner is null ? part.Clone() : part.TryGetProperty(inner, out var value) ? value.Clone() : null
                : null;
        return new
        {
            evaluation_run_id = summary.EvaluationRunId,
            job_run_id = summary.JobRunId,
            dataset = summary.Dataset,
            split = new { name = split.Name, protocol = split.Protocol, seed = split.Seed, digests = Part("split", "digests") },
            model = summary.Label,
            execution_path = Part("model", "execution_path"),
            machine = Part("machine"),
            labels_hash = Part("labels", "hash"),
            method = report.Method,
            queries = report.Queries,
            candidates = report.Candidates,
            queries_without_relevant = report.QueriesWithoutRelevant,
            k = report.MainK,
            precision_at_k = main.Precision,
            recall_at_k = main.Recall,
            ap_at_k = main.AveragePrecision,
            ap_at_k_notebook = main.AveragePrecisionNotebook,
            ndcg_at_k = main.Ndcg,
            map = report.Overall.MeanAveragePrecision,
            mrr = report.Overall.MeanReciprocalRank,
            definitions = new
            {
                ap_at_k = "trec_eval map_cut_k / ranx: sum of precision at relevant ranks <= k, divided by all relevant",
                ap_at_k_notebook = "the seed article's notebook: the same sum divided by k",
                map = "AP over the full ranking, averaged over queries with at least one relevant candidate",
            },
            at_k = report.Overall.AtK.Select(m => new { k = m.K, precision = m.Precision, recall = m.Recall, ap = m.AveragePrecision, ap_notebook = m.AveragePrecisionNotebook, ndcg = m.Ndcg }),
            intervals_95 = report.Intervals.Select(i => new { metric = i.Metric, value = i.Value, low = i.Low, high = i.High }),
            noise_intrusion = report.NoiseIntrusion,
            duplicates_flagged = report.DuplicatesFlagged,
            per_class = report.PerClass.Select(c => new
            {
                name = c.Name,
                queries = c.Queries,
                precision_at_k = c.Metrics.At(report.MainK).Precision,
                ap_at_k = c.Metrics.At(report.MainK).AveragePrecision,
                ap_at_k_notebook = c.Metrics.At(report.MainK).AveragePrecisionNotebook,
            }),
            seconds = Math.Round(summary.Seconds, 3),
        };
    }
}
