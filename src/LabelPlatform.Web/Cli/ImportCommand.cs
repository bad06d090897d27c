using System.CommandLine;
using System.Text.Json;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;

namespace LabelPlatform.Web.Cli;

/// <summary>`import --dataset NAME --path DIR [--noise-class NAME] [--json]`: a folder-per-class import, run in this process.</summary>
internal static class ImportCommand
{
    private static readonly JsonSerializerOptions JsonOutput = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };

    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset name (created when missing)", Required = true };
        var path = new Option<DirectoryInfo>("--path") { Description = "Folder with one sub-folder per class (e.g. Caltech 101's 101_ObjectCategories)", Required = true };
        var noise = new Option<string?>("--noise-class") { Description = "Class (folder) to flag as noise/background, e.g. BACKGROUND_Google" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the totals on stdout" };
        var command = new Command("import", "Import a folder-per-class tree of images into a dataset") { dataset, path, noise, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(dataset)!;
            var folder = parse.GetValue(path)!;
            if (!DatasetService.IsValidName(name))
            {
                await stderr.WriteLineAsync($"error: '{name}' is not a valid dataset name (letters, digits, '-', '_', '.')");
                return 2;
            }

            if (!folder.Exists)
            {
                await stderr.WriteLineAsync($"error: folder '{folder.FullName}' does not exist");
                return 2;
            }

            using var host = await PlatformCli.StartHostAsync(settings, cancellationToken);
            var services = host.Services;
            var target = await services.GetRequiredService<DatasetService>().GetOrCreateAsync(name, null, "cli", cancellationToken);
            if (await NoiseClassCheck.ProblemAsync(services.GetRequiredService<DatasetService>(), target.Id, folder.FullName, parse.GetValue(noise), cancellationToken) is { } noiseProblem)
            {
                await stderr.WriteLineAsync($"error: {noiseProblem}");
                return 2;
            }
            var runs = services.GetRequiredService<JobRunService>();
            var run = await PlatformCli.ResumeOrCreateRunAsync(runs, JobKinds.Import, target.Id, new ImportParameters
            {
                Source = ImportSources.Folder,
                Path = folder.FullName,
                NoiseClass = parse.GetValue(noise),
            }, stderr, cancellationToken);

            var (summary, exitCode) = await PlatformCli.RunJobAsync(services, run.Id, "import",
                ct => services.GetRequiredService<ImportDatasetJob>().ImportAsync(run.Id, ct), stderr, cancellationToken);
            if (summary is null)
            {
                return exitCode;
            }

            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    dataset = summary.Dataset,
                    job_run_id = summary.JobRunId,
                    classes = summary.Classes,
                    total = summary.Total,
                    accepted = summary.Accepted,
                    duplicates = summary.Duplicates,
                    rejected = summary.Rejected,
                    seconds = Math.Round(summary.Seconds, 2),
                    images_per_second = Math.Round(summary.ImagesPerSecond, 1),
                }, JsonOutput));
            }
            else
            {
                await stdout.WriteLineAsync($"{summary.Dataset}: {summary.Describe()}, {summary.Total:N0} files in {summary.Seconds:0.0} s ({summary.ImagesPerSecond:0} files/s). Job run {summary.JobRunId}.");
            }

            return 0;
        });
        return command;
    }
}
