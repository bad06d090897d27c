using System.Collections.Concurrent;
using LabelPlatform.Core.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;

namespace LabelPlatform.Core.Embeddings;

/// <summary>
/// Runs registered models with ONNX Runtime. Sessions are cached per model version: by default one single-threaded
/// session per core, so that while one chunk is being decoded another is inferred without threads contending
/// (`bench embed` measures this layout against one multi-threaded session; see the README).
/// </summary>
public sealed class OnnxEmbedder(IOptions<EmbeddingOptions> options, IOptions<StorageOptions> storage, ILogger<OnnxEmbedder> logger) : IDisposable
{
    private readonly ConcurrentDictionary<int, Lazy<SessionPool>> _pools = new();

    public string ModelPath(EmbeddingModel model) => ModelPath(storage.Value, model.Sha256);

    public static string ModelPath(StorageOptions storage, string sha256) => Path.Combine(storage.ModelsPath, $"{sha256}.onnx");

    public int SessionCount => options.Value.SessionsPerModel > 0 ? options.Value.SessionsPerModel : Environment.ProcessorCount;

    /// <summary>Largest batch one call may carry for this model.</summary>
    public int MaxBatch(EmbeddingModel model) => model.FixedBatchSize ?? options.Value.BatchSize;

    /// <summary>
    /// Embeds <paramref name="count"/> preprocessed images laid out back to back in <paramref name="inputs"/>; returns one
    /// L2-normalised vector per image (null where the model produced a zero or non-finite vector).
    /// </summary>
    public async Task<float[]?[]> EmbedAsync(EmbeddingModel model, float[] inputs, int count, CancellationToken cancellationToken)
    {
        var pool = Pool(model);
        var session = await pool.RentAsync(cancellationToken);
        try
        {
            return RunBatches(session, model, inputs, count);
        }
        finally
        {
            pool.Return(session);
        }
    }

    /// <summary>
    /// <see cref="EmbedAsync"/> for a caller on its own thread (the embed job on <see cref="Jobs.BackgroundCpu"/>):
    /// waits for a session by blocking, so nothing is handed to the shared thread pool from that thread.
    /// </summary>
    public float[]?[] Embed(EmbeddingModel model, float[] inputs, int count, CancellationToken cancellationToken)
    {
        var pool = Pool(model);
        var session = pool.Rent(cancellationToken);
        try
        {
            return RunBatches(session, model, inputs, count);
        }
        finally
        {
            pool.Return(session);
        }
    }

    private SessionPool Pool(EmbeddingModel model) =>
        _pools.GetOrAdd(model.Id, _ => new Lazy<SessionPool>(() => new SessionPool(ModelPath(model), SessionCount, options.Value.ThreadsPerSession))).Value;

    private float[]?[] RunBatches(InferenceSession session, EmbeddingModel model, float[] inputs, int count)
    {
        var perImage = ImagePreprocessor.InputLength(model.Preprocessing);
        var batch = MaxBatch(model);
        var results = new float[]?[count];
        for (var start = 0; start < count; start += batch)
        {
            var n = Math.Min(batch, count - start);
            Run(session, model, inputs.AsMemory(start * perImage, n * perImage), n, results.AsSpan(start, n));
        }

        return results;
    }

    /// <summary>One inference call on one session, for callers that manage their own threads (benchmarks).</summary>
    public static void Run(InferenceSession session, EmbeddingModel model, Memory<float> inputs, int count, Span<float[]?> results)
    {
        var p = model.Preprocessing;
        long[] shape = p.Layout == TensorLayout.Nchw ? [count, 3, p.InputHeight, p.InputWidth] : [count, p.InputHeight, p.InputWidth, 3];
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputs, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [model.InputName], [input], [model.OutputName]);
        var values = outputs[0].GetTensorDataAsSpan<float>();
        var dimension = values.Length / count;
        if (dimension != model.Dimension)
        {
            throw new InvalidOperationException($"model {model.Name} v{model.Version} returned {dimension} values per image; {model.Dimension} were registered");
        }

        for (var i = 0; i < count; i++)
        {
            var vector = values.Slice(i * dimension, dimension).ToArray();
            results[i] = VectorCodec.Normalize(vector) ? vector : null;
        }
    }

    public static SessionOptions SingleThreaded() => new()
    {
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    /// <summary>Drops a model's cached sessions (e.g. after its file was replaced in tests).</summary>
    public void Evict(int modelId)
    {
        if (_pools.TryRemove(modelId, out var pool) && pool.IsValueCreated)
        {
            pool.Value.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var pool in _pools.Values.Where(p => p.IsValueCreated))
        {
            pool.Value.Dispose();
        }

        _pools.Clear();
        logger.LogDebug("ONNX sessions released");
    }

    private sealed class SessionPool : IDisposable
    {
        private readonly List<InferenceSession> _all = [];
        private readonly ConcurrentBag<InferenceSession> _free = [];
        private readonly SemaphoreSlim _available;

        public SessionPool(string path, int count, int threads)
        {
            var bytes = File.ReadAllBytes(path);
            using var sessionOptions = SingleThreaded();
            sessionOptions.IntraOpNumThreads = threads;
            for (var i = 0; i < count; i++)
            {
                var session = new InferenceSession(bytes, sessionOptions);
                _all.Add(session);
                _free.Add(session);
            }

            _available = new SemaphoreSlim(count, count);
        }

        public async Task<InferenceSession> RentAsync(CancellationToken cancellationToken)
        {
            await _available.WaitAsync(cancellationToken);
            return Take();
        }

        public InferenceSession Rent(CancellationToken cancellationToken)
        {
            _available.Wait(cancellationToken);
            return Take();
        }

        private InferenceSession Take() => _free.TryTake(out var session) ? session : throw new InvalidOperationException("session pool out of sync");

        public void Return(InferenceSession session)
        {
            _free.Add(session);
            _available.Release();
        }

        public void Dispose()
        {
            foreach (var session in _all)
            {
                session.Dispose();
            }

            _available.Dispose();
        }
    }
}
