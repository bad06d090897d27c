using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Embeddings;

/// <summary>"Embeddings:QueryBatching": how concurrent search uploads share inference calls (see <see cref="QueryBatcher"/>).</summary>
public sealed class QueryBatchingOptions
{
    public const string Section = "Embeddings:QueryBatching";

    /// <summary>Off: every query image is its own inference call, as before.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most query images one inference call carries (also capped by the model's fixed batch size).</summary>
    [Range(1, 256)]
    public int MaxBatch { get; set; } = 8;

    /// <summary>
    /// How long a free session waits for more queries to join the first one. 0: it takes only those already queued
    /// (they queue while every session is busy). 2 ms won in `bench serve` at 8 and 32 clients (see the README).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.050")]
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(2);
}

/// <summary>
/// Coalesces concurrent single-image embeddings of one model (search uploads) into batched inference calls: a
/// dispatcher per model takes a session slot, then the queued queries (up to <see cref="QueryBatchingOptions.MaxBatch"/>,
/// waiting at most <see cref="QueryBatchingOptions.MaxWait"/> for more), and runs them as one call. Each caller gets
/// the vector of its own row; a caller that gives up is dropped before the call, or its row is thrown away after it;
/// a failed call fails only the callers in it.
/// </summary>
public sealed class QueryBatcher(OnnxEmbedder embedder, IOptions<QueryBatchingOptions> options) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, Lazy<Lane>> _lanes = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly OnnxEmbedder _embedder = embedder;
    private readonly IOptions<QueryBatchingOptions> _options = options;
    private long _calls;
    private long _batchedQueries;

    /// <summary>Batched inference calls made so far, and the queries they carried (their ratio is the mean batch).</summary>
    public (long Calls, long Queries) Counts => (Interlocked.Read(ref _calls), Interlocked.Read(ref _batchedQueries));

    /// <summary>The L2-normalised vector of one preprocessed image (null for a zero or non-finite model output).</summary>
    public async Task<float[]?> EmbedAsync(EmbeddingModel model, float[] input, CancellationToken cancellationToken)
    {
        if (input.Length != ImagePreprocessor.InputLength(model.Preprocessing))
        {
            throw new ArgumentException("the input is not one preprocessed image of this model", nameof(input));
        }

        var max = Math.Min(_options.Value.MaxBatch, _embedder.MaxBatch(model));
        if (!_options.Value.Enabled || max <= 1)
        {
            return (await _embedder.EmbedAsync(model, input, 1, cancellationToken))[0];
        }

        var request = new Request(input, cancellationToken);
        var lane = _lanes.GetOrAdd(model.Id, _ => new Lazy<Lane>(() => new Lane(this, model))).Value;
        ObjectDisposedException.ThrowIf(!lane.Queue.Writer.TryWrite(request), this);

        await using (cancellationToken.UnsafeRegister(static r => ((Request)r!).Result.TrySetCanceled(), request))
        {
            return await request.Result.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var lane in _lanes.Values.Where(l => l.IsValueCreated))
        {
            lane.Value.Queue.Writer.TryComplete();
            await lane.Value.Loop;
        }

        _stopping.Dispose();
    }

    private sealed class Request(float[] input, CancellationToken cancellationToken)
    {
        public float[] Input { get; } = input;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public TaskCompletionSource<float[]?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool Abandoned => Result.Task.IsCompleted || CancellationToken.IsCancellationRequested;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The slots are released by calls still in flight after disposal; a SemaphoreSlim without its wait handle holds nothing native.")]
    private sealed class Lane
    {
        private readonly QueryBatcher _owner;
        private readonly EmbeddingModel _model;
        private readonly SemaphoreSlim _slots;

        public Lane(QueryBatcher owner, EmbeddingModel model)
        {
            _owner = owner;
            _model = model;
            // One batch in flight per session: while all are busy, queries queue and form the next batch.
            _slots = new SemaphoreSlim(owner._embedder.SessionCount, owner._embedder.SessionCount);
            Loop = Task.Run(RunAsync);
        }

        public Channel<Request> Queue { get; } = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });

        public Task Loop { get; }

        private async Task RunAsync()
        {
            var stopping = _owner._stopping.Token;
            var reader = Queue.Reader;
            var pending = new List<Request>();
            try
            {
                while (await reader.WaitToReadAsync(stopping))
                {
                    await _slots.WaitAsync(stopping);
                    await CollectAsync(reader, pending, stopping);
                    pending.RemoveAll(r => r.Abandoned);
                    if (pending.Count == 0)
                    {
                        _slots.Release();
                        continue;
                    }

                    var batch = pending.ToArray();
                    pending.Clear();
                    _ = Task.Run(() => InferAsync(batch), CancellationToken.None);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }

            foreach (var left in pending)
            {
                left.Result.TrySetException(new ObjectDisposedException(nameof(QueryBatcher)));
            }

            while (reader.TryRead(out var left))
            {
                left.Result.TrySetException(new ObjectDisposedException(nameof(QueryBatcher)));
            }
        }

        /// <summary>Waits for one live query, then takes what is queued and waits up to MaxWait (never longer) for the batch to fill.</summary>
        private async Task CollectAsync(ChannelReader<Request> reader, List<Request> pending, CancellationToken stopping)
        {
            while (pending.Count == 0)
            {
                if (reader.TryRead(out var first))
                {
                    if (!first.Abandoned)
                    {
                        pending.Add(first);
                    }
                }
                else if (!await reader.WaitToReadAsync(stopping))
                {
                    return;
                }
            }

            // Read per batch, so a changed setting (the serve benchmark flips it between cases) applies at once.
            var max = Math.Min(_owner._options.Value.MaxBatch, _owner._embedder.MaxBatch(_model));
            var deadline = DateTime.UtcNow + _owner._options.Value.MaxWait;
            while (pending.Count < max)
            {
                if (reader.TryRead(out var request))
                {
                    if (!request.Abandoned)
                    {
                        pending.Add(request);
                    }

                    continue;
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return;
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                timeout.CancelAfter(left);
                try
                {
                    if (!await reader.WaitToReadAsync(timeout.Token))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        private async Task InferAsync(Request[] batch)
        {
            try
            {
                var perImage = batch[0].Input.Length;
                var inputs = new float[batch.Length * perImage];
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i].Input.CopyTo(inputs, i * perImage);
                }

                // Not any caller's token: one caller giving up must not cancel the others' call.
                var vectors = await _owner._embedder.EmbedAsync(_model, inputs, batch.Length, CancellationToken.None);
                Interlocked.Increment(ref _owner._calls);
                Interlocked.Add(ref _owner._batchedQueries, batch.Length);
                for (var i = 0; i < batch.Length; i++)
                {
                    batch[i].Result.TrySetResult(vectors[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var request in batch)
                {
                    request.Result.TrySetException(ex);
                }
            }
            finally
            {
                _slots.Release();
            }
        }
    }
}
