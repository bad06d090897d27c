using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.ML.OnnxRuntime;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `bench embed`: embedding throughput end to end (read file, decode, resize, infer, store) beside the inference
/// ceiling (a bare session.Run loop over pre-made tensors, in two thread layouts) and a naive one-image-at-a-time
/// pipeline, in one process on this machine, in a throw-away data folder; a quantized model on its int8 path and its
/// float variant side by side.
/// </summary>
internal static class BenchEmbedCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var path = new Option<DirectoryInfo>("--path") { Description = "Folder-per-class tree (e.g. Caltech 101)", Required = true };
        var perClass = new Option<int>("--per-class") { Description = "Images drawn per class (20 = the article's evaluation split size)", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 2021 };
        var model = new Option<string>("--model") { DefaultValueFactory = _ => ModelRegistry.MobileNetV2 };
        var json = new Option<bool>("--json");
        var command = new Command("embed", "Embedding throughput versus the bare inference loop and a naive pipeline") { path, perClass, seed, model, json };
        command.SetAction(async (parse, ct) =>
        {
            var data = Path.Combine(Path.GetTempPath(), "labelplatform-bench", Guid.NewGuid().ToString("N"));
            var sample = Path.Combine(data, "sample");
            var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Storage:DataDirectory"] = data };
            try
            {
                var files = Sample(parse.GetValue(path)!.FullName, sample, parse.GetValue(perClass), parse.GetValue(seed));
                using var host = await PlatformCli.StartHostAsync(overrides, ct);
                var figures = await RunAsync(host.Services, sample, files, parse.GetValue(model)!, stderr, ct);
                await stdout.WriteLineAsync(parse.GetValue(json)
                    ? JsonSerializer.Serialize(figures, CliJson.Options)
                    : string.Join(Environment.NewLine, figures.Select(f => $"{f.Key,-40} {f.Value}")));
                return 0;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(data, recursive: true);
            }
        });
        return command;
    }

    /// <summary>Copies <paramref name="perClass"/> seeded-random files of every class into a folder-per-class sample.</summary>
    private static int Sample(string root, string sample, int perClass, int seed)
    {
        var random = new Random(seed);
        var count = 0;
        foreach (var classDir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var files = Directory.GetFiles(classDir).Order(StringComparer.Ordinal).ToArray();
            random.Shuffle(files);
            var target = Path.Combine(sample, Path.GetFileName(classDir));
            Directory.CreateDirectory(target);
            foreach (var file in files.Take(perClass))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
                count++;
            }
        }

        return count;
    }

    private static async Task<Dictionary<string, object>> RunAsync(IServiceProvider services, string sample, int files, string modelName, TextWriter stderr, CancellationToken ct)
    {
        var dataset = await services.GetRequiredService<DatasetService>().GetOrCreateAsync("bench", null, "bench", ct);
        var runs = services.GetRequiredService<JobRunService>();
        var import = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = sample }, "bench", ct);
        await services.GetRequiredService<ImportDatasetJob>().ImportAsync(import.Id, ct);
        var registry = services.GetRequiredService<ModelRegistry>();
        var primary = await registry.FindOrRegisterBuiltInAsync(modelName, ct)
            ?? throw new InvalidOperationException($"model {modelName} is not available");
        // A quantized model is measured on both paths, side by side: int8 as the file has it, and its float variant.
        var paths = new List<EmbeddingModel> { primary };
        if (await services.GetRequiredService<FloatVariants>().FindAsync(primary.Id, ct) is { } variant)
        {
            paths.Add(variant);
        }

        var embedder = services.GetRequiredService<OnnxEmbedder>();
        var preprocessor = services.GetRequiredService<ImagePreprocessor>();
        var store = services.GetRequiredService<ImageStore>();
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        List<(long Id, string Sha, string Format)> images;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            images = (await db.Images.Where(i => i.DatasetId == dataset.Id).OrderBy(i => i.Id).Select(i => new { i.Id, i.Sha256, i.Format }).ToListAsync(ct))
                .Select(i => (i.Id, i.Sha256, i.Format)).ToList();
        }

        var hardware = services.GetRequiredService<InferenceHardware>();
        var figures = new Dictionary<string, object>
        {
            ["images"] = images.Count,
            ["model"] = $"{primary.Name} v{primary.Version} ({primary.Dimension}-d)",
            ["cores"] = Environment.ProcessorCount,
            ["cpu"] = InferenceHardware.Cpu.Describe(),
            ["int8_dot_products_exact"] = hardware.Int8Exact,
            ["default_path_here"] = (await registry.EffectiveAsync(primary, ct)).ExecutionPath ?? "",
        };
        var endToEndByPath = new Dictionary<string, double>();
        foreach (var model in paths)
        {
            var prefix = paths.Count > 1 ? $"{model.ExecutionPath}_" : "";
            var modelBytes = await File.ReadAllBytesAsync(embedder.ModelPath(model), ct);
            var perImage = ImagePreprocessor.InputLength(model.Preprocessing);
            var batch = embedder.MaxBatch(model);

            // Pre-made tensors for the bare loops: a pool of distinct images, cycled (keeps memory small).
            var pool = new List<float[]>();
            foreach (var i in images.Take(256))
            {
                var t = new float[perImage];
                preprocessor.Fill(await store.ReadOriginalAsync(i.Sha, i.Format, ct), model.Preprocessing, t);
                pool.Add(t);
            }

            await stderr.WriteLineAsync($"bench embed: {images.Count} images, {model.Label}, batch {batch}, {Environment.ProcessorCount} cores");
            var bareSingle = BareLoop(modelBytes, model, pool, images.Count, batch, sessions: Environment.ProcessorCount, threadsPerSession: 1);
            var bareShared = BareLoop(modelBytes, model, pool, images.Count, batch, sessions: 1, threadsPerSession: Environment.ProcessorCount);
            var naive = await NaiveAsync(modelBytes, model, images, preprocessor, store, contexts, ct);
            var decode = await DecodeOnlyAsync(images, model, preprocessor, store, ct);

            // End to end through the real job, in both session layouts (vectors deleted before each pass).
            var endToEndSingle = await EndToEndAsync(services, dataset.Id, model, sessions: Environment.ProcessorCount, threads: 1, ct);
            var endToEndShared = await EndToEndAsync(services, dataset.Id, model, sessions: 1, threads: Environment.ProcessorCount, ct);
            var endToEnd = Math.Max(endToEndSingle, endToEndShared);
            var ceiling = Math.Max(bareSingle, bareShared);
            endToEndByPath[model.ExecutionPath ?? ""] = endToEnd;
            figures[$"{prefix}bare_loop_sessions_x_1_thread_per_s"] = Math.Round(bareSingle, 1);
            figures[$"{prefix}bare_loop_1_session_x_cores_threads_per_s"] = Math.Round(bareShared, 1);
            figures[$"{prefix}decode_preprocess_only_per_s"] = Math.Round(decode, 1);
            figures[$"{prefix}naive_one_at_a_time_per_s"] = Math.Round(naive, 1);
            figures[$"{prefix}end_to_end_sessions_x_1_thread_per_s"] = Math.Round(endToEndSingle, 1);
            figures[$"{prefix}end_to_end_1_session_x_cores_threads_per_s"] = Math.Round(endToEndShared, 1);
            figures[$"{prefix}end_to_end_vs_bare_loop"] = Math.Round(endToEnd / ceiling, 2);
            figures[$"{prefix}end_to_end_vs_naive"] = Math.Round(endToEnd / naive, 2);
        }

        if (endToEndByPath.TryGetValue(ExecutionPaths.Float, out var floatRate) && endToEndByPath.TryGetValue(ExecutionPaths.Int8, out var int8Rate))
        {
            figures["float_vs_int8_end_to_end"] = Math.Round(floatRate / int8Rate, 2);
        }

        figures["peak_working_set_megabytes"] = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024);
        return figures;
    }

    private static async Task<double> EndToEndAsync(IServiceProvider services, int datasetId, EmbeddingModel model, int sessions, int threads, CancellationToken ct)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            await db.Embeddings.Where(e => e.ModelId == model.Id).ExecuteDeleteAsync(ct);
        }

        var configured = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EmbeddingOptions>>().Value;
        var options = Microsoft.Extensions.Options.Options.Create(new EmbeddingOptions
        {
            BatchSize = configured.BatchSize,
            CommitEvery = configured.CommitEvery,
            SessionsPerModel = sessions,
            ThreadsPerSession = threads,
        });
        using var embedder = new OnnxEmbedder(options, services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>(), services.GetRequiredService<ILogger<OnnxEmbedder>>());
        var service = new EmbeddingService(contexts, services.GetRequiredService<ImageStore>(), services.GetRequiredService<ImagePreprocessor>(), embedder, services.GetRequiredService<BackgroundCpu>(), options, TimeProvider.System);
        var runs = services.GetRequiredService<JobRunService>();
        var run = await runs.CreateAsync(JobKinds.Embed, datasetId, new EmbedParameters(model.Id), "bench", ct);
        var clock = Stopwatch.StartNew();
        var summary = await services.GetRequiredService<JobExecutor>().RunAsync(run.Id, async (r, p, token) => (await service.RunAsync(r, p, token), "bench"), _ => false, ct)
            ?? throw new InvalidOperationException("the benchmark embed run failed");
        return summary.Embedded / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Read, decode and preprocess only, on every core: what the pipeline spends besides inference.</summary>
    private static async Task<double> DecodeOnlyAsync(List<(long Id, string Sha, string Format)> images, EmbeddingModel model, ImagePreprocessor preprocessor, ImageStore store, CancellationToken ct)
    {
        var perImage = ImagePreprocessor.InputLength(model.Preprocessing);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(images, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = ct }, async (image, token) =>
        {
            preprocessor.Fill(await store.ReadOriginalAsync(image.Sha, image.Format, token), model.Preprocessing, new float[perImage]);
        });
        return images.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>session.Run over pre-made tensors only: the inference ceiling, in the given thread layout.</summary>
    private static double BareLoop(byte[] modelBytes, EmbeddingModel model, List<float[]> pool, int count, int batch, int sessions, int threadsPerSession)
    {
        var perImage = pool[0].Length;
        var sessionList = Enumerable.Range(0, sessions).Select(_ =>
        {
            using var options = OnnxEmbedder.SingleThreaded();
            options.IntraOpNumThreads = threadsPerSession;
            return new InferenceSession(modelBytes, options);
        }).ToList();
        try
        {
            var inputs = new float[batch * perImage];
            for (var i = 0; i < batch; i++)
            {
                pool[i % pool.Count].CopyTo(inputs, i * perImage);
            }

            var results = new float[]?[batch];
            OnnxEmbedder.Run(sessionList[0], model, inputs, batch, results); // warm-up
            var batches = (count + batch - 1) / batch;
            var clock = Stopwatch.StartNew();
            Parallel.For(0, sessions, s =>
            {
                var local = (float[])inputs.Clone();
                var output = new float[]?[batch];
                for (var b = s; b < batches; b += sessions)
                {
                    OnnxEmbedder.Run(sessionList[s], model, local, batch, output);
                }
            });
            return batches * batch / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            sessionList.ForEach(s => s.Dispose());
        }
    }

    /// <summary>One image at a time, nothing overlapped: read, decode, preprocess, run (default threads), store one row.</summary>
    private static async Task<double> NaiveAsync(byte[] modelBytes, EmbeddingModel model, List<(long Id, string Sha, string Format)> images,
        ImagePreprocessor preprocessor, ImageStore store, IDbContextFactory<PlatformDbContext> contexts, CancellationToken ct)
    {
        using var session = new InferenceSession(modelBytes);
        var perImage = ImagePreprocessor.InputLength(model.Preprocessing);
        var results = new float[]?[1];
        var clock = Stopwatch.StartNew();
        foreach (var image in images)
        {
            var input = new float[perImage];
            preprocessor.Fill(await store.ReadOriginalAsync(image.Sha, image.Format, ct), model.Preprocessing, input);
            if (model.FixedBatchSize is > 1)
            {
                throw new InvalidOperationException("the naive pipeline runs one image per call");
            }

            OnnxEmbedder.Run(session, model, input, 1, results);
            await EmbeddingService.InsertAsync(contexts, TimeProvider.System, null, model.Id, [(image.Id, results[0]!)], ct);
        }

        return images.Count / clock.Elapsed.TotalSeconds;
    }
}
