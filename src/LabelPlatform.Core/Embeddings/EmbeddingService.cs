using System.Diagnostics;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Embeddings;

/// <summary>What an embed job was asked to do (the dataset is the run's).</summary>
public sealed record EmbedParameters(int ModelId);

/// <summary>Totals of one embed run, as the CLI prints them.</summary>
public sealed record EmbedSummary(long JobRunId, string Dataset, string Model, int ModelVersion, int Total, int Embedded, int Skipped, int Failed, double Seconds)
{
    /// <summary>int8 or float (see <see cref="ExecutionPaths"/>).</summary>
    public string? ExecutionPath { get; init; }

    public double ImagesPerSecond => Seconds > 0 ? Embedded / Seconds : 0;

    public string Describe() => $"Embedded {Embedded:N0} images with {Model} v{ModelVersion}{(ExecutionPath is null ? "" : $" ({ExecutionPath})")} ({Skipped:N0} already done, {Failed:N0} failed)";
}

/// <summary>
/// Pre-computes embeddings for every image of a dataset that has none for a model version. Chunks of images are
/// decoded and run through ONNX Runtime in parallel (one chunk per session); a single writer commits vectors in
/// batches with INSERT ... ON CONFLICT DO NOTHING, so a re-run, a retried chunk or a second run racing this one can
/// never store a second vector, and a killed job resumes from its last batch. Decoding and inference run on the
/// lower-priority <see cref="BackgroundCpu"/> threads, so people labelling meanwhile are not slowed down.
/// </summary>
public sealed class EmbeddingService(
    IDbContextFactory<PlatformDbContext> contexts,
    ImageStore store,
    ImagePreprocessor preprocessor,
    OnnxEmbedder embedder,
    BackgroundCpu background,
    IOptions<EmbeddingOptions> options,
    TimeProvider clock)
{
    public async Task<EmbedSummary> RunAsync(JobRun run, JobProgress progress, CancellationToken cancellationToken)
    {
        var parameters = JobRunService.ReadParameters<EmbedParameters>(run);
        var datasetId = run.DatasetId ?? throw new EmbeddingException("the embed job names no dataset");
        var stopwatch = Stopwatch.StartNew();
        EmbeddingModel model;
        string datasetName;
        int total, skipped, resumed;
        List<Pending> todo;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            model = await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == parameters.ModelId, cancellationToken)
                ?? throw new EmbeddingException($"model version {parameters.ModelId} does not exist");
            datasetName = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(cancellationToken)
                ?? throw new EmbeddingException($"dataset {datasetId} does not exist");
            total = await db.Images.CountAsync(i => i.DatasetId == datasetId, cancellationToken);
            var done = db.Embeddings.Where(e => e.ModelId == model.Id && db.Images.Any(i => i.Id == e.ImageId && i.DatasetId == datasetId));
            resumed = await done.CountAsync(e => e.JobRunId == run.Id, cancellationToken);
            skipped = await done.CountAsync(cancellationToken) - resumed;
            todo = await db.Images.AsNoTracking()
                .Where(i => i.DatasetId == datasetId && !db.Embeddings.Any(e => e.ImageId == i.Id && e.ModelId == model.Id))
                .OrderBy(i => i.Id)
                .Select(i => new Pending(i.Id, i.Sha256, i.Format, i.Origin))
                .ToListAsync(cancellationToken);
        }

        progress.SetTotal(todo.Count + resumed);
        for (var i = 0; i < resumed; i++)
        {
            progress.Succeed();
        }

        progress.SetMessage($"Embedding {todo.Count:N0} images with {model.Label}");
        await progress.FlushAsync(force: true, cancellationToken);
        await EmbedAsync(run.Id, model, todo, progress, cancellationToken);

        progress.SetMessage($"{progress.Succeeded:N0} embedded, {progress.Failed:N0} failed; {skipped:N0} were already done");
        await progress.FlushAsync(force: true, cancellationToken);
        return new EmbedSummary(run.Id, datasetName, model.Name, model.Version, total, progress.Succeeded, skipped, progress.Failed, stopwatch.Elapsed.TotalSeconds)
        {
            ExecutionPath = model.ExecutionPath,
        };
    }

    /// <summary>Runs the images through the batched pipeline, committing vectors as they come.</summary>
    internal async Task EmbedAsync(long jobRunId, EmbeddingModel model, List<Pending> todo, JobProgress progress, CancellationToken cancellationToken)
    {
        await BatchedPipeline.RunAsync<Pending[], (long ImageId, float[] Vector)>(
            todo.Chunk(embedder.MaxBatch(model)),
            embedder.SessionCount,
            async (chunk, results, ct) =>
            {
                var files = await ReadChunkAsync(chunk, progress, ct);
                foreach (var item in await background.RunAsync(token => EmbedChunk(model, files, progress, token), ct))
                {
                    await results.WriteAsync(item, ct);
                }

                progress.ThrowIfCancelled();
            },
            options.Value.CommitEvery,
            async batch =>
            {
                await CommitAsync(jobRunId, model.Id, batch, progress, cancellationToken);
                await progress.FlushAsync(cancellationToken: cancellationToken);
            },
            prefill: null,
            cancellationToken);
    }

    /// <summary>
    /// Reads a chunk's files from the store (asynchronously, before the lowered thread takes over: the store may be a
    /// network share or an S3 bucket); a file that cannot be read is reported and left out.
    /// </summary>
    private async Task<List<(Pending Image, byte[] Bytes)>> ReadChunkAsync(Pending[] chunk, JobProgress progress, CancellationToken ct)
    {
        var files = new List<(Pending, byte[])>(chunk.Length);
        foreach (var image in chunk)
        {
            try
            {
                files.Add((image, await store.ReadOriginalAsync(image.Sha256, image.Format, ct)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                progress.Fail(image.Origin, $"cannot read image {image.Id}: {ex.Message}");
            }
        }

        return files;
    }

    /// <summary>
    /// Decodes and preprocesses a chunk, runs it as one batch; images that fail are reported and left out. Synchronous
    /// on purpose: it runs on a lowered <see cref="BackgroundCpu"/> thread, which must not hand work to the shared pool.
    /// </summary>
    private List<(long Id, float[] Vector)> EmbedChunk(EmbeddingModel model, List<(Pending Image, byte[] Bytes)> chunk, JobProgress progress, CancellationToken ct)
    {
        var perImage = ImagePreprocessor.InputLength(model.Preprocessing);
        var inputs = new float[chunk.Count * perImage];
        var ready = new List<Pending>(chunk.Count);
        foreach (var (image, bytes) in chunk)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                preprocessor.Fill(bytes, model.Preprocessing, inputs.AsSpan(ready.Count * perImage, perImage));
                ready.Add(image);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SixLabors.ImageSharp.ImageFormatException or SixLabors.ImageSharp.InvalidImageContentException or NotSupportedException or InvalidOperationException)
            {
                progress.Fail(image.Origin, $"cannot read image {image.Id}: {ex.Message}");
            }
        }

        var results = new List<(long, float[])>(ready.Count);
        if (ready.Count == 0)
        {
            return results;
        }

        var vectors = embedder.Embed(model, inputs, ready.Count, ct);
        for (var i = 0; i < ready.Count; i++)
        {
            if (vectors[i] is { } vector)
            {
                results.Add((ready[i].Id, vector));
            }
            else
            {
                progress.Fail(ready[i].Origin, $"model returned a zero or non-finite vector for image {ready[i].Id}");
            }
        }

        return results;
    }

    private async Task CommitAsync(long jobRunId, int modelId, List<(long ImageId, float[] Vector)> batch, JobProgress progress, CancellationToken cancellationToken)
    {
        var inserted = await InsertAsync(contexts, clock, jobRunId, modelId, batch, cancellationToken);
        // Counters move once the batch is durable; a vector another run stored first counts as a duplicate.
        for (var i = 0; i < inserted; i++)
        {
            progress.Succeed();
        }

        for (var i = inserted; i < batch.Count; i++)
        {
            progress.Duplicate();
        }
    }

    /// <summary>Stores vectors in one transaction, keeping any that already exist; returns how many were new.</summary>
    public static async Task<int> InsertAsync(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock, long? jobRunId, int modelId,
        IReadOnlyList<(long ImageId, float[] Vector)> batch, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var inserted = 0;
        var createdAt = Timestamp(db, now);
        foreach (var (imageId, vector) in batch)
        {
            var bytes = VectorCodec.ToBytes(vector);
            // Standard SQL upsert (SQLite and PostgreSQL): a second vector for the same (image, model) is dropped, not an error.
            inserted += await db.Database.ExecuteSqlAsync(
                $"INSERT INTO \"Embeddings\" (\"ImageId\", \"ModelId\", \"Vector\", \"JobRunId\", \"CreatedAt\") VALUES ({imageId}, {modelId}, {bytes}, {jobRunId}, {createdAt}) ON CONFLICT (\"ImageId\", \"ModelId\") DO NOTHING",
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>The stored form of a timestamp (SQLite keeps DateTimeOffset as binary ticks, see ProviderConventions).</summary>
    private static object Timestamp(PlatformDbContext db, DateTimeOffset value) => ProviderConventions.StoredTimestamp(db.Database, value);

    internal sealed record Pending(long Id, string Sha256, string Format, string Origin);
}

/// <summary>An embed or registration request that cannot go on; the reason is for people.</summary>
public sealed class EmbeddingException(string message, Exception? inner = null) : Exception(message, inner);
