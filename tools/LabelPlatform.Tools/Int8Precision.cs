using LabelPlatform.Core.Labelling;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Hardware;
using LabelPlatform.Core.Images;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tools;

/// <summary>
/// `int8-precision`: is a quantized model's search quality on this CPU what the file means? Embeds a dataset's images
/// with the int8 file through ONNX Runtime's exact 8-bit kernels (<c>session.x64quantprecision</c>: u8 x u8 products
/// summed in 32 bits on every x86 CPU), then compares those vectors with the ones the platform stored for the int8
/// path (this CPU's default kernels) and for the float variant: cosines per image, and P@10 on article splits. Where
/// the default int8 vectors differ from the exact ones and lose P@10 while the exact ones match the float variant,
/// the loss is the CPU's 8-bit arithmetic, not the model.
/// </summary>
internal static class Int8Precision
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The platform's data folder (Storage:DataDirectory)", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "Dataset name", Required = true };
        var model = new Option<string>("--model") { Description = "A quantized model with int8 and float vectors stored", DefaultValueFactory = _ => "mobilenetv2" };
        var seeds = new Option<int[]>("--seeds") { DefaultValueFactory = _ => [2021, 2022, 2023, 2024, 2025], AllowMultipleArgumentsPerToken = true };
        var limit = new Option<int>("--limit") { Description = "Embed at most this many images (0: all); P@10 needs all", DefaultValueFactory = _ => 0 };
        var command = new Command("int8-precision", "Exact 8-bit kernels vs this CPU's default int8 kernels vs the float variant: cosines and P@10")
        {
            data, dataset, model, seeds, limit,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var services = await ToolHost.StartAsync(parse.GetValue(data)!, ct);
            return await RunAsync(services, parse.GetValue(dataset)!, parse.GetValue(model)!, parse.GetValue(seeds)!, parse.GetValue(limit), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(ServiceProvider services, string datasetName, string modelName, int[] seeds, int limit, CancellationToken ct)
    {
        var registry = services.GetRequiredService<ModelRegistry>();
        var dataset = await services.GetRequiredService<DatasetService>().FindByNameAsync(datasetName, ct) ?? throw new ArgumentException($"no dataset {datasetName}");
        var int8 = await registry.ResolveAsync($"{modelName}:{ExecutionPaths.Int8}", ct) ?? throw new ArgumentException($"no int8 path for {modelName}");
        var single = await registry.ResolveAsync($"{modelName}:{ExecutionPaths.Float}", ct) ?? throw new ArgumentException($"no float path for {modelName}");
        var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var store = services.GetRequiredService<ImageStore>();
        var preprocessor = services.GetRequiredService<ImagePreprocessor>();
        var cpu = CpuInfo.Current;
        Console.WriteLine($"machine: {cpu.Model} ({string.Join(' ', cpu.Flags)}); exact 8-bit dot products by default: {cpu.HasExactInt8DotProducts}");

        var labels = await services.GetRequiredService<GroundTruthService>().CurrentAsync(dataset.Id, ct);
        Dictionary<long, float[]> stored8, storedFloat;
        List<(long Id, string Sha, string Format)> images;
        await using (var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync(ct))
        {
            async Task<Dictionary<long, float[]>> Vectors(int modelId) => (await db.Embeddings.AsNoTracking().Where(e => e.ModelId == modelId).Select(e => new { e.ImageId, e.Vector }).ToListAsync(ct))
                .ToDictionary(e => e.ImageId, e => VectorCodec.FromBytes(e.Vector));
            stored8 = await Vectors(int8.Id);
            storedFloat = await Vectors(single.Id);
            images = [.. (await db.Images.AsNoTracking().Where(i => i.DatasetId == dataset.Id).OrderBy(i => i.Sha256).Select(i => new { i.Id, i.Sha256, i.Format }).ToListAsync(ct))
                .Where(i => stored8.ContainsKey(i.Id) && storedFloat.ContainsKey(i.Id)).Select(i => (i.Id, i.Sha256, i.Format))];
        }

        if (limit > 0)
        {
            images = [.. images.Take(limit)];
        }

        var file = await File.ReadAllBytesAsync(OnnxEmbedder.ModelPath(storage, int8.Sha256), ct);
        var exact = new Dictionary<long, float[]>();
        var gate = new Lock();
        var clock = Stopwatch.StartNew();
        var perImage = ImagePreprocessor.InputLength(int8.Preprocessing);
        var workers = Environment.ProcessorCount;
        await Parallel.ForEachAsync(Enumerable.Range(0, workers), new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct }, async (worker, token) =>
        {
            using var probe = new ModelProbe(file, int8.InputName, int8.OutputName, int8.Preprocessing, int8.FixedBatchSize, precise: true);
            var input = new float[perImage];
            for (var i = worker; i < images.Count; i += workers)
            {
                token.ThrowIfCancellationRequested();
                var (id, sha, format) = images[i];
                preprocessor.Fill(await store.ReadOriginalAsync(sha, format, token), int8.Preprocessing, input);
                var vector = probe.Embed(input);
                lock (gate)
                {
                    exact[id] = vector;
                }
            }
        });
        Console.WriteLine($"embedded {exact.Count} images with exact 8-bit kernels in {clock.Elapsed.TotalSeconds:0.0} s");

        void Cosines(string name, Dictionary<long, float[]> a, Dictionary<long, float[]> b)
        {
            var values = exact.Keys.Select(id => (double)System.Numerics.Tensors.TensorPrimitives.Dot(a[id], b[id])).Order().ToList();
            Console.WriteLine($"cosine {name}: mean {values.Average():0.0000}, median {values[values.Count / 2]:0.0000}, 1st percentile {values[values.Count / 100]:0.0000}, min {values[0]:0.0000}, identical (>= 0.99999) {values.Count(v => v >= 0.99999)} of {values.Count}");
        }

        Cosines("int8 default kernels vs int8 exact", stored8, exact);
        Cosines("float variant vs int8 exact", storedFloat, exact);
        Cosines("float variant vs int8 default kernels", storedFloat, stored8);
        if (limit > 0)
        {
            return 0;
        }

        var names = labels.Classes.ToDictionary(c => c.Id, c => c.Name);
        var inputs = labels.ClassOf.Where(kv => exact.ContainsKey(kv.Key)).Select(kv => new SplitInput(kv.Key, kv.Value, labels.ContentOf[kv.Key])).ToList();
        Console.WriteLine("seed\tint8_default_p@10\tint8_exact_p@10\tfloat_p@10");
        var rows = new List<double[]>();
        foreach (var seed in seeds)
        {
            var plan = SplitMaker.Article(inputs, names, seed);
            var ordered = plan.Images.Where(i => i.Role != SplitRole.Training).OrderBy(i => labels.ContentOf[i.ImageId], StringComparer.Ordinal).ToList();
            var queries = ordered.Where(i => i.Role is SplitRole.Query or SplitRole.QueryAndCandidate).Select(i => new EvaluationItem(i.ImageId, i.ClassId)).ToList();
            var candidates = ordered.Where(i => i.Role is SplitRole.Candidate or SplitRole.QueryAndCandidate).Select(i => new EvaluationItem(i.ImageId, i.ClassId)).ToList();
            double P(Dictionary<long, float[]> vectors)
            {
                float[] Matrix(List<EvaluationItem> items) => [.. items.SelectMany(i => vectors[i.ImageId])];
                return Evaluator.Evaluate(new EvaluationData
                {
                    Queries = queries,
                    Candidates = candidates,
                    Classes = labels.Classes,
                    QueryVectors = Matrix(queries),
                    CandidateVectors = Matrix(candidates),
                    Dimension = int8.Dimension,
                }, new EvaluationSettings([10], 10, seed) { BootstrapSamples = 0 }, null, ct).Overall.At(10).Precision;
            }

            double[] row = [P(stored8), P(exact), P(storedFloat)];
            rows.Add(row);
            Console.WriteLine(string.Join('\t', [seed.ToString(CultureInfo.InvariantCulture), .. row.Select(F)]));
        }

        Console.WriteLine(string.Join('\t', ["mean", .. Enumerable.Range(0, 3).Select(c => F(rows.Average(r => r[c])))]));
        return 0;
    }

    private static string F(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
