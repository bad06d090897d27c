using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LabelPlatform.Core.Search;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `bench search`: exact-scan latency against the memory-bandwidth ceiling at several index sizes, then HNSW build
/// time, recall and speed against the exact scan at the largest size. Synthetic data, no database.
/// </summary>
internal static class BenchSearchCommand
{
    private static readonly JsonSerializerOptions JsonOutput = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var defaults = new SearchBenchmarkOptions();
        var sizes = new Option<string>("--sizes") { Description = "Index sizes, comma-separated", DefaultValueFactory = _ => string.Join(',', defaults.Sizes) };
        var queries = new Option<int>("--queries") { Description = $"Timed queries per size (at most {defaults.MaxQueriesAtMillion} from 1M up)", DefaultValueFactory = _ => defaults.Queries };
        var ann = new Option<bool>("--ann") { Description = "Build and measure the HNSW index at the largest size (default)" };
        var noAnn = new Option<bool>("--no-ann") { Description = "Exact scan only" };
        var data = new Option<string>("--data") { Description = "Synthetic data: clustered (embedding-like) or isotropic (ANN worst case)", DefaultValueFactory = _ => defaults.Data };
        var dimension = new Option<int>("--dimension") { Description = "Vector length", DefaultValueFactory = _ => defaults.Dimension };
        var connectivity = new Option<int>("--connectivity") { Description = "HNSW edges per node (M)", DefaultValueFactory = _ => defaults.AnnOptions.Connectivity };
        var expansionAdd = new Option<int>("--expansion-add") { Description = "HNSW candidates while building", DefaultValueFactory = _ => defaults.AnnOptions.ExpansionAdd };
        var half = new Option<bool>("--ann-f16") { Description = "Store the HNSW vectors as float16 instead of float32" };
        var json = new Option<bool>("--json") { Description = "Print a JSON array of {name, value, unit}" };
        data.AcceptOnlyFromAmong("clustered", "isotropic");
        var command = new Command("search", "Exact search versus memory bandwidth, and HNSW versus exact search") { sizes, queries, ann, noAnn, data, dimension, connectivity, expansionAdd, half, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var parsedSizes = new List<int>();
            foreach (var part in parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size < 1)
                {
                    await stderr.WriteLineAsync($"error: '{part}' is not a positive index size");
                    return 2;
                }

                parsedSizes.Add(size);
            }

            if (parsedSizes.Count == 0 || parse.GetValue(queries) < 1 || parse.GetValue(dimension) < 1)
            {
                await stderr.WriteLineAsync("error: --sizes, --queries and --dimension must be positive");
                return 2;
            }

            var options = defaults with
            {
                Sizes = parsedSizes,
                Queries = parse.GetValue(queries),
                Ann = !parse.GetValue(noAnn),
                Data = parse.GetValue(data)!,
                Dimension = parse.GetValue(dimension),
                AnnOptions = defaults.AnnOptions with
                {
                    Connectivity = parse.GetValue(connectivity),
                    ExpansionAdd = parse.GetValue(expansionAdd),
                    Quantization = parse.GetValue(half) ? Cloud.Unum.USearch.ScalarKind.Float16 : Cloud.Unum.USearch.ScalarKind.Float32,
                },
            };
            var figures = await Task.Run(() => SearchBenchmark.Run(options, stderr, cancellationToken), cancellationToken);
            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(figures, JsonOutput));
                return 0;
            }

            // A Markdown table, to paste into the README as it is.
            await stdout.WriteLineAsync("| figure | value | unit |");
            await stdout.WriteLineAsync("|---|---:|---|");
            foreach (var figure in figures)
            {
                await stdout.WriteLineAsync($"| {figure.Name} | {figure.Value.ToString("G", CultureInfo.InvariantCulture)} | {figure.Unit} |");
            }

            return 0;
        });
        return command;
    }
}
