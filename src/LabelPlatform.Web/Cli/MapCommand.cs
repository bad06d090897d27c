using System.CommandLine;
using System.Text.Json;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Maps;
using LabelPlatform.Jobs;

namespace LabelPlatform.Web.Cli;

/// <summary>`map --dataset NAME [--model NAME] [--json]`: compute a dataset's embedding map in this process.</summary>
internal static class MapCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset name", Required = true };
        var model = new Option<string?>("--model") { Description = "Model name (latest version; name:int8 or name:float picks a quantized model's path); default: Embeddings:DefaultModel, else resnet18" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the phase times on stdout" };
        var command = new Command("map", "Compute the 2-D embedding map (UMAP) of a dataset's vectors under a model, replacing the stored one") { dataset, model, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = await PlatformCli.StartHostAsync(settings, cancellationToken);
            var services = host.Services;
            if (await PlatformCli.FindDatasetAsync(services, parse.GetValue(dataset)!, stderr, cancellationToken) is not { } target)
            {
                return 2;
            }

            EmbeddingModel? chosen;
            try
            {
                chosen = await services.GetRequiredService<ModelRegistry>().ResolveAsync(parse.GetValue(model), cancellationToken);
            }
            catch (EmbeddingException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }

            if (chosen is null)
            {
                await stderr.WriteLineAsync($"error: model '{parse.GetValue(model)}' is not registered (see `models list`, `models register`)");
                return 2;
            }

            var runs = services.GetRequiredService<JobRunService>();
            var run = await PlatformCli.ResumeOrCreateRunAsync(runs, JobKinds.Map, target.Id, new MapParameters(chosen.Id), stderr, cancellationToken);
            var (summary, exitCode) = await PlatformCli.RunJobAsync(services, run.Id, "map",
                ct => services.GetRequiredService<MapJob>().RunAsync(run.Id, ct), stderr, cancellationToken);
            if (summary is null)
            {
                return exitCode;
            }

            var t = summary.Timings;
            await stdout.WriteLineAsync(parse.GetValue(json)
                ? JsonSerializer.Serialize(new
                {
                    dataset = target.Name,
                    model = chosen.Label,
                    job_run_id = summary.JobRunId,
                    points = summary.Points,
                    load_seconds = Math.Round(summary.LoadSeconds, 2),
                    pca_seconds = Math.Round(t.Pca.TotalSeconds, 2),
                    knn_seconds = Math.Round(t.Neighbours.TotalSeconds, 2),
                    graph_seconds = Math.Round(t.FuzzyGraph.TotalSeconds, 2),
                    layout_seconds = Math.Round(t.Layout.TotalSeconds, 2),
                    seconds = Math.Round(summary.Seconds, 2),
                }, CliJson.Options)
                : $"{target.Name}: {summary.Describe()}; {summary.Seconds:0.0} s in all. Job run {summary.JobRunId}.");
            return 0;
        });
        return command;
    }
}
