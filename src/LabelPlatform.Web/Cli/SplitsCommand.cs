using System.CommandLine;
using System.Text.Json;
using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `splits export --dataset NAME --split NAME [--out FILE]` and `splits import --dataset NAME --file FILE [--name NAME]`:
/// a split as a portable file (SHA-256, class and role per image), so two installs evaluate on the same images.
/// </summary>
internal static class SplitsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var splits = new Command("splits", "Export a split to a file, or import one exported by another install");

        var dataset = new Option<string>("--dataset") { Description = "Dataset name", Required = true };
        var split = new Option<string>("--split") { Description = "Split name", Required = true };
        var output = new Option<string?>("--out") { Description = "File to write (default: stdout)" };
        var export = new Command("export", "Write a split as JSON: per image its SHA-256, class name and role") { dataset, split, output };
        export.SetAction(async (parse, ct) =>
        {
            using var host = await PlatformCli.StartHostAsync(settings, ct);
            var services = host.Services;
            if (await PlatformCli.FindDatasetAsync(services, parse.GetValue(dataset)!, stderr, ct) is not { } target)
            {
                return 2;
            }

            if (await services.GetRequiredService<EvaluationService>().FindSplitAsync(target.Id, parse.GetValue(split)!, ct) is not { } found)
            {
                await stderr.WriteLineAsync($"error: split '{parse.GetValue(split)}' does not exist in dataset {target.Name}");
                return 2;
            }

            var file = await services.GetRequiredService<SplitFiles>().ExportAsync(found.Id, ct);
            var json = JsonSerializer.Serialize(file, SplitFiles.Json);
            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(path, json + Environment.NewLine, ct);
                await stderr.WriteLineAsync($"Wrote {file.Images.Count:N0} images of split {file.Name} to {path}");
            }
            else
            {
                await stdout.WriteLineAsync(json);
            }

            return 0;
        });
        splits.Subcommands.Add(export);

        var importDataset = new Option<string>("--dataset") { Description = "Dataset to import the split into", Required = true };
        var input = new Option<FileInfo>("--file") { Description = "A split file written by `splits export` or the Evaluations page", Required = true };
        var name = new Option<string?>("--name") { Description = "Name for the split (default: the name in the file)" };
        var import = new Command("import", "Store a split file's split: images matched by SHA-256, classes by name; nothing stored unless all are found") { importDataset, input, name };
        import.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(input)!;
            if (!path.Exists)
            {
                await stderr.WriteLineAsync($"error: file '{path.FullName}' does not exist");
                return 2;
            }

            using var host = await PlatformCli.StartHostAsync(settings, ct);
            var services = host.Services;
            if (await PlatformCli.FindDatasetAsync(services, parse.GetValue(importDataset)!, stderr, ct) is not { } target)
            {
                return 2;
            }

            try
            {
                var file = SplitFiles.Parse(await File.ReadAllTextAsync(path.FullName, ct));
                var stored = await services.GetRequiredService<SplitFiles>().ImportAsync(target.Id, file, parse.GetValue(name), $"cli:{Environment.UserName}", ct);
                await stdout.WriteLineAsync($"Imported split {stored.Name} into {target.Name}: {stored.Queries:N0} queries, {stored.Candidates:N0} candidates, {stored.Training:N0} training images.");
                return 0;
            }
            catch (EvaluationException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        splits.Subcommands.Add(import);
        return splits;
    }
}
