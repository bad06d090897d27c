using System.CommandLine;
using System.Text.Json;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;

namespace LabelPlatform.Web.Cli;

/// <summary>`embed --dataset NAME --model NAME [--json]`: pre-compute embeddings in this process, resumable.</summary>
internal static class EmbedCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset name", Required = true };
        var model = new Option<string?>("--model") { Description = "Model name (latest version; name:int8 or name:float picks a quantized model's path); default: Embeddings:DefaultModel, else resnet18" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the totals on stdout" };
        var command = new Command("embed", "Compute embeddings for every image of a dataset that has none for the model") { dataset, model, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = await PlatformCli.StartHostAsync(settings, cancellationToken);
            var services = host.Services;
            if (await PlatformCli.FindDatasetAsync(services, parse.GetValue(dataset)!, stderr, cancellationToken) is not { } target)
            {
                return 2;
            }

            var registry = services.GetRequiredService<ModelRegistry>();
            EmbeddingModel? chosen;
            try
            {
                chosen = await registry.ResolveAsync(parse.GetValue(model), cancellationToken);
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
            var run = await PlatformCli.ResumeOrCreateRunAsync(runs, JobKinds.Embed, target.Id, new EmbedParameters(chosen.Id), stderr, cancellationToken);
            var (summary, exitCode) = await PlatformCli.RunJobAsync(services, run.Id, "embed",
                ct => services.GetRequiredService<EmbedDatasetJob>().RunAsync(run.Id, ct), stderr, cancellationToken);
            if (summary is null)
            {
                return exitCode;
            }

            await stdout.WriteLineAsync(parse.GetValue(json)
                ? JsonSerializer.Serialize(new
                {
                    dataset = summary.Dataset,
                    model = summary.Model,
                    model_version = summary.ModelVersion,
                    execution_path = summary.ExecutionPath,
                    job_run_id = summary.JobRunId,
                    total = summary.Total,
                    embedded = summary.Embedded,
                    skipped = summary.Skipped,
                    failed = summary.Failed,
                    seconds = Math.Round(summary.Seconds, 2),
                    images_per_second = Math.Round(summary.ImagesPerSecond, 1),
                }, CliJson.Options)
                : $"{summary.Dataset}: {summary.Describe()} in {summary.Seconds:0.0} s ({summary.ImagesPerSecond:0.0} images/s). Job run {summary.JobRunId}.");
            return 0;
        });
        return command;
    }
}

internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
