using System.CommandLine;
using System.Diagnostics;
using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Tools;

/// <summary>
/// `bench scale`: on PostgreSQL, imports a folder (Caltech 101) once, then embeds all of it with 1, 2 and 4 standalone
/// worker processes sharing one chunked run, and measures how long a chunk held by a SIGKILLed worker waits before
/// another worker resumes it. The bench plans each run itself, so no Hangfire job is needed: the workers' chunk join
/// service picks the run up, as it does for any chunked run.
/// </summary>
internal static class BenchScale
{
    public static Command Create()
    {
        var database = new Option<string>("--database") { Description = "Npgsql connection string, or a Unix socket directory", Required = true };
        var source = new Option<string>("--source") { DefaultValueFactory = _ => "/work/shared/datasets/caltech101/101_ObjectCategories" };
        var workers = new Option<string>("--workers") { Description = "Worker counts to measure", DefaultValueFactory = _ => "1,2,4" };
        var data = new Option<string?>("--data") { Description = "Data folder shared by the workers (image store); default a temp folder" };
        var lease = new Option<TimeSpan>("--lease") { Description = "Jobs:LeaseDuration of the workers: how long a killed worker's chunk waits", DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var chunkSize = new Option<int>("--chunk-size") { DefaultValueFactory = _ => 256 };
        var command = new Command("scale", "images/s embedding one dataset with 1, 2 and 4 worker processes on PostgreSQL, and the resume time after a SIGKILL")
        {
            database, source, workers, data, lease, chunkSize,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Database:Provider"] = "Postgres",
                ["ConnectionStrings:Platform"] = ConnectionString(parse.GetValue(database)!),
                ["Storage:DataDirectory"] = Path.GetFullPath(parse.GetValue(data) ?? Path.Combine(Path.GetTempPath(), "labelplatform-bench-scale")),
                ["Embeddings:EmbedAfterImport"] = "false",
                ["Embeddings:MobileNetV2Path"] = "/work/shared/models/mobilenetv2/mobilenetv2-12-int8.onnx",
                ["Jobs:LeaseDuration"] = parse.GetValue(lease).ToString(),
                ["Jobs:ChunkSize"] = parse.GetValue(chunkSize).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Jobs:ChunkPollInterval"] = "00:00:00.500",
            };
            await using var services = await StartAsync(settings, ct);
            var (datasetId, images) = await ImportOnceAsync(services, parse.GetValue(source)!, ct);
            var model = (await services.GetRequiredService<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2, ct))
                ?? throw new InvalidOperationException("mobilenetv2 is not available");
            Console.WriteLine($"# bench scale: {images:N0} images, {model.Label}, {Environment.ProcessorCount} cores ({Core.Hardware.CpuInfo.Current.Describe()}), chunk {settings["Jobs:ChunkSize"]}, lease {settings["Jobs:LeaseDuration"]}");
            foreach (var count in parse.GetValue(workers)!.Split(',').Select(int.Parse))
            {
                var (perSecond, resume) = await EmbedWithAsync(services, settings, datasetId, model.Id, images, count, kill: count >= 2, ct);
                Console.WriteLine($"figure embed.workers{count} {perSecond:0.0} images/s");
                if (resume is { } r)
                {
                    Console.WriteLine($"figure resume.after.sigkill.workers{count} {r.TotalSeconds:0.0} s");
                }
            }

            return 0;
        });
        return command;
    }

    private static string ConnectionString(string value) =>
        value.StartsWith('/') ? $"Host={value};Username=postgres;Database=labelplatform_bench" : value;

    private static async Task<ServiceProvider> StartAsync(Dictionary<string, string?> settings, CancellationToken ct)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<IJobScheduler, NoScheduler>()
            .AddPlatformCore(configuration, ContentRoot.Locate())
            .BuildServiceProvider();
        await DatabaseInitializer.InitializeAsync(services, ct);
        return services;
    }

    /// <summary>Imports the folder into "bench-scale" unless an earlier bench already did.</summary>
    private static async Task<(int DatasetId, int Images)> ImportOnceAsync(ServiceProvider services, string source, CancellationToken ct)
    {
        var dataset = await services.GetRequiredService<DatasetService>().GetOrCreateAsync("bench-scale", null, "bench", ct);
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(ct);
        if (!await db.Images.AnyAsync(i => i.DatasetId == dataset.Id, ct))
        {
            var runs = services.GetRequiredService<JobRunService>();
            var run = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = source }, "bench", ct);
            var importer = services.GetRequiredService<DatasetImporter>();
            var watch = Stopwatch.StartNew();
            await services.GetRequiredService<JobExecutor>().RunAsync(run.Id, async (r, p, token) => (await importer.RunAsync(r, p, token), "bench"), _ => false, ct);
            Console.WriteLine($"# import: {watch.Elapsed.TotalSeconds:0.0} s (one process)");
        }

        return (dataset.Id, await db.Images.CountAsync(i => i.DatasetId == dataset.Id, ct));
    }

    /// <summary>
    /// Embeds the dataset from scratch with <paramref name="count"/> workers; images/s from the first chunk claimed to
    /// the run's end (worker start-up excluded). With <paramref name="kill"/>, one worker is SIGKILLed a quarter of the
    /// way and the time until another worker claims its chunk is measured.
    /// </summary>
    private static async Task<(double PerSecond, TimeSpan? Resume)> EmbedWithAsync(ServiceProvider services, Dictionary<string, string?> settings, int datasetId, int modelId,
        int images, int count, bool kill, CancellationToken ct)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            await db.Embeddings.Where(e => e.ModelId == modelId && db.Images.Any(i => i.Id == e.ImageId && i.DatasetId == datasetId)).ExecuteDeleteAsync(ct);
        }

        var runs = services.GetRequiredService<JobRunService>();
        var chunks = services.GetRequiredService<JobChunkService>();
        var run = await runs.CreateAsync(JobKinds.Embed, datasetId, new EmbedParameters(modelId), "bench", ct);
        var (_, started) = await runs.StartAsync(run.Id, "bench", ct);
        await chunks.AddPlanAsync(run.Id, await services.GetRequiredService<EmbedChunkWork>().PlanAsync(started!, chunks.ChunkSize, ct), ct);
        await chunks.ShareRunLeaseAsync(run.Id, "bench", ct);

        var processes = Enumerable.Range(0, count).Select(_ => StartWorker(settings)).ToList();
        TimeSpan? resume = null;
        try
        {
            var killed = false;
            while (!(await runs.FindAsync(run.Id, ct))!.IsFinished)
            {
                if (kill && !killed && (await runs.FindAsync(run.Id, ct))!.Processed >= images / 4)
                {
                    resume = await KillAndTimeResumeAsync(chunks, run.Id, processes[0], ct);
                    killed = true;
                }

                await Task.Delay(250, ct);
            }

            var done = (await runs.FindAsync(run.Id, ct))!;
            var rows = await chunks.ListAsync(run.Id, ct);
            var first = rows.Min(c => c.StartedAt) ?? done.StartedAt!.Value;
            if (done.State != JobState.Succeeded || done.Succeeded != images)
            {
                throw new InvalidOperationException($"run {run.Id} ended {done.State} with {done.Succeeded} of {images}: {done.Error}");
            }

            Console.WriteLine($"# {count} workers: run {run.Id}, {rows.Select(c => c.Worker).Distinct().Count()} distinct workers did its {rows.Count} chunks");
            // The first claim of each chunk was overwritten on resume; the run's end minus the earliest recorded start is a lower bound on time.
            return (images / (done.FinishedAt!.Value - first).TotalSeconds, resume);
        }
        finally
        {
            foreach (var process in processes.Where(p => !p.HasExited))
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(ct);
            }
        }
    }

    private static async Task<TimeSpan?> KillAndTimeResumeAsync(JobChunkService chunks, long jobRunId, Process victim, CancellationToken ct)
    {
        var name = $"{Environment.MachineName}:{victim.Id}";
        var held = (await chunks.ListAsync(jobRunId, ct)).FirstOrDefault(c => c.State == JobChunkState.Running && c.Worker == name);
        if (held is null)
        {
            return null;
        }

        victim.Kill(entireProcessTree: true);
        var at = Stopwatch.StartNew();
        while (true)
        {
            var now = (await chunks.ListAsync(jobRunId, ct)).First(c => c.Id == held.Id);
            if (now.Worker != name)
            {
                return at.Elapsed;
            }

            await Task.Delay(100, ct);
        }
    }

    private static Process StartWorker(Dictionary<string, string?> settings)
    {
        var dll = WorkerDll();
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The built worker beside this repository's tools (Release if built, else Debug).</summary>
    private static string WorkerDll()
    {
        var root = ContentRoot.Locate();
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LabelPlatform.sln")))
            {
                root = dir.FullName;
                break;
            }
        }

        return Configurations.Select(c => Path.Combine(root, "jobs", "LabelPlatform.Worker", "bin", c, "net10.0", "LabelPlatform.Worker.dll")).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("build jobs/LabelPlatform.Worker first (dotnet build LabelPlatform.sln)");
    }

    private static readonly string[] Configurations = ["Release", "Debug"];

    /// <summary>The bench queues nothing: workers find its planned runs themselves.</summary>
    private sealed class NoScheduler : IJobScheduler
    {
        public string Enqueue(JobRun run) => throw new InvalidOperationException("bench scale does not queue jobs");
    }
}
