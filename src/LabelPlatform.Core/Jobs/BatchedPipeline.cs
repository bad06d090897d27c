using System.Threading.Channels;

namespace LabelPlatform.Core.Jobs;

/// <summary>
/// The shape of the import and embed jobs: work items processed in parallel, their results committed by one writer
/// in batches (the checkpoint a killed job resumes from). If the writer fails (a database error, Cancel), the
/// producers stop instead of waiting forever on a full channel.
/// </summary>
public static class BatchedPipeline
{
    /// <param name="produce">Processes one work item and writes its results to the channel.</param>
    /// <param name="commit">Stores one batch; called on a single thread, with the batch full or the channel momentarily empty.</param>
    /// <param name="prefill">Results known before the parallel part starts (e.g. archive entries refused at extraction).</param>
    public static async Task RunAsync<TWork, TResult>(
        IEnumerable<TWork> work,
        int parallelism,
        Func<TWork, ChannelWriter<TResult>, CancellationToken, ValueTask> produce,
        int batchSize,
        Func<List<TResult>, Task> commit,
        IEnumerable<TResult>? prefill,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var channel = Channel.CreateBounded<TResult>(new BoundedChannelOptions(batchSize * 2) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = DrainAsync(channel.Reader, batchSize, commit);
        _ = writer.ContinueWith(_ => stop.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        try
        {
            foreach (var result in prefill ?? [])
            {
                await channel.Writer.WriteAsync(result, stop.Token);
            }

            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = stop.Token },
                (item, ct) => produce(item, channel.Writer, ct));
        }
        finally
        {
            channel.Writer.TryComplete();
            // The writer's own exception (e.g. JobCancelledException) is the real cause; it replaces the producers' cancellation.
            await writer;
        }
    }

    private static async Task DrainAsync<T>(ChannelReader<T> reader, int batchSize, Func<List<T>, Task> commit)
    {
        var batch = new List<T>(batchSize);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < batchSize && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count >= batchSize || !reader.TryPeek(out _))
            {
                await commit(batch);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await commit(batch);
        }
    }
}
