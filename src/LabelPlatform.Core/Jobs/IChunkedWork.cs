namespace LabelPlatform.Core.Jobs;

/// <summary>A kind of job whose runs split into chunks that any number of worker processes execute at once.</summary>
public interface IChunkedWork
{
    /// <summary>The <see cref="JobRun.Kind"/> it executes.</summary>
    string Kind { get; }

    /// <summary>Splits the run into chunks of about <paramref name="chunkSize"/> items; called once per run.</summary>
    Task<IReadOnlyList<ChunkRange>> PlanAsync(JobRun run, int chunkSize, CancellationToken cancellationToken);

    /// <summary>
    /// Does one chunk, counting into <paramref name="progress"/>. Must be safe to repeat: a chunk whose worker died is
    /// done again by another, which counts what the dead one stored and does the rest.
    /// </summary>
    Task RunChunkAsync(JobRun run, JobChunk chunk, JobProgress progress, CancellationToken cancellationToken);

    /// <summary>Errors that end the run as Failed without a retry (bad input); anything else is rethrown as well.</summary>
    bool IsExpectedFailure(Exception exception);

    /// <summary>The run's closing message, from its summed counters.</summary>
    Task<string> DescribeAsync(JobRun run, CancellationToken cancellationToken);
}
