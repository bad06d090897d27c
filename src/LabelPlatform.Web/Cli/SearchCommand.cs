using System.CommandLine;
using System.Text.Json;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Search;

namespace LabelPlatform.Web.Cli;

/// <summary>`search --dataset NAME --model NAME --image PATH --k 10 [--json]`.</summary>
internal static class SearchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset name", Required = true };
        var model = new Option<string?>("--model") { Description = "Model name (latest version); default: the default model" };
        var image = new Option<FileInfo>("--image") { Description = "Query image file", Required = true };
        var k = new Option<int>("--k") { Description = "Number of results", DefaultValueFactory = _ => 10 };
        var className = new Option<string?>("--class") { Description = "Only results of this class" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("search", "Find the dataset images most similar to an image file") { dataset, model, image, k, className, json };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(image)!;
            if (!file.Exists)
            {
                await stderr.WriteLineAsync($"error: image '{file.FullName}' does not exist");
                return 2;
            }

            using var host = await PlatformCli.StartHostAsync(settings, ct);
            var services = host.Services;
            if (await PlatformCli.FindDatasetAsync(services, parse.GetValue(dataset)!, stderr, ct) is not { } target)
            {
                return 2;
            }

            var registry = services.GetRequiredService<ModelRegistry>();
            var chosen = await registry.ResolveAsync(parse.GetValue(model), ct);
            if (chosen is null)
            {
                await stderr.WriteLineAsync($"error: model '{parse.GetValue(model)}' is not registered");
                return 2;
            }

            int? classId = null;
            if (parse.GetValue(className) is { } cls)
            {
                classId = await services.GetRequiredService<DatasetService>().FindClassIdAsync(target.Id, cls, ct);
                if (classId is null)
                {
                    await stderr.WriteLineAsync($"error: class '{cls}' is not in dataset {target.Name}");
                    return 2;
                }
            }

            try
            {
                var response = await services.GetRequiredService<SearchService>().SearchAsync(new SearchQuery
                {
                    DatasetId = target.Id,
                    Model = chosen,
                    K = parse.GetValue(k),
                    ClassId = classId,
                    ImageBytes = await File.ReadAllBytesAsync(file.FullName, ct),
                }, ct);
                var store = services.GetRequiredService<LabelPlatform.Core.Images.ImageStore>();
                if (parse.GetValue(json))
                {
                    await stdout.WriteLineAsync(JsonSerializer.Serialize(new
                    {
                        dataset = response.Dataset,
                        model = response.Model,
                        model_version = response.ModelVersion,
                        execution_path = response.ExecutionPath,
                        k = response.K,
                        index_size = response.IndexSize,
                        milliseconds = Math.Round(response.Milliseconds, 2),
                        results = response.Results.Select(r => new { image_id = r.ImageId, score = r.Score, @class = r.ClassName, origin = r.Origin, path = store.DescribeOriginal(r.Sha256, r.Format) }),
                    }, CliJson.Options));
                }
                else
                {
                    foreach (var r in response.Results)
                    {
                        await stdout.WriteLineAsync($"{r.Score:0.0000}  {r.ClassName ?? "-",-24} image {r.ImageId}  {r.Origin}");
                    }
                }

                return 0;
            }
            catch (SearchException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return ex.Status == 404 ? 2 : 1;
            }
        });
        return command;
    }
}
