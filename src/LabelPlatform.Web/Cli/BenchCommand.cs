using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `bench import --path DIR`: import throughput side by side with its ceilings, in one process on this machine, into
/// a throw-away data folder. Figures, not assertions: speed targets live here, never in tests.
/// </summary>
internal static class BenchCommand
{
    private static readonly JsonSerializerOptions JsonOutput = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var bench = new Command("bench", "Print performance figures (see README, Measured)");
        var path = new Option<DirectoryInfo>("--path") { Description = "Folder-per-class tree to import", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var import = new Command("import", "Import rate versus reading+hashing and versus validation alone") { path, json };
        import.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(path)!;
            if (!folder.Exists)
            {
                await stderr.WriteLineAsync($"error: folder '{folder.FullName}' does not exist");
                return 2;
            }

            var data = Path.Combine(Path.GetTempPath(), "labelplatform-bench", Guid.NewGuid().ToString("N"));
            var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Storage:DataDirectory"] = data };
            try
            {
                var figures = await RunImportBenchAsync(folder.FullName, overrides, stderr, ct);
                await stdout.WriteLineAsync(parse.GetValue(json)
                    ? JsonSerializer.Serialize(figures, JsonOutput)
                    : string.Join(Environment.NewLine, figures.Select(f => $"{f.Key,-34} {f.Value}")));
                return 0;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(data, recursive: true);
            }
        });
        bench.Subcommands.Add(import);
        bench.Subcommands.Add(BenchEmbedCommand.Create(stdout, stderr, settings));
        bench.Subcommands.Add(BenchSearchCommand.Create(stdout, stderr));
        bench.Subcommands.Add(BenchEvaluateCommand.Create(stdout, stderr, settings));
        bench.Subcommands.Add(BenchCrawlCommand.Create(stdout, stderr, settings));
        bench.Subcommands.Add(BenchLabelCommand.Create(stdout, stderr, settings));
        return bench;
    }

    private static async Task<Dictionary<string, object>> RunImportBenchAsync(string folder, Dictionary<string, string?> settings, TextWriter stderr, CancellationToken ct)
    {
        using var host = await PlatformCli.StartHostAsync(settings, ct);
        var services = host.Services;
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct };

        // 1. The I/O ceiling: read every file and hash it (what a re-run of an import costs).
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(files, parallel, async (file, token) => ImageValidator.Sha256Hex(await File.ReadAllBytesAsync(file, token)));
        var hashSeconds = clock.Elapsed.TotalSeconds;

        // 2. The decode ceiling: full validation (identify, caps, decode, thumbnail) in memory, nothing stored.
        var validator = services.GetRequiredService<ImageValidator>();
        clock.Restart();
        await Parallel.ForEachAsync(files, parallel, async (file, token) => validator.Check(await File.ReadAllBytesAsync(file, token)));
        var validateSeconds = clock.Elapsed.TotalSeconds;

        // 3. The real thing: an import job run end to end (store files and thumbnails, commit rows, report progress).
        var dataset = await services.GetRequiredService<DatasetService>().GetOrCreateAsync("bench", null, "bench", ct);
        var run = await services.GetRequiredService<JobRunService>().CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder }, "bench", ct);
        var gcBefore = GC.GetTotalAllocatedBytes();
        clock.Restart();
        var summary = await services.GetRequiredService<ImportDatasetJob>().ImportAsync(run.Id, ct)
            ?? throw new InvalidOperationException("the benchmark import failed; see the log");
        var importSeconds = clock.Elapsed.TotalSeconds;
        await stderr.WriteLineAsync($"imported {summary.Accepted} of {summary.Total} files");

        double Rate(double seconds) => Math.Round(files.Count / seconds, 1);
        return new Dictionary<string, object>
        {
            ["files"] = files.Count,
            ["cores"] = Environment.ProcessorCount,
            ["read_hash_images_per_second"] = Rate(hashSeconds),
            ["validate_images_per_second"] = Rate(validateSeconds),
            ["import_images_per_second"] = Rate(importSeconds),
            ["import_vs_validate"] = Math.Round(validateSeconds / importSeconds, 2),
            ["import_seconds"] = Math.Round(importSeconds, 2),
            ["import_allocated_megabytes"] = (GC.GetTotalAllocatedBytes() - gcBefore) / (1024 * 1024),
            ["peak_working_set_megabytes"] = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024),
        };
    }
}
