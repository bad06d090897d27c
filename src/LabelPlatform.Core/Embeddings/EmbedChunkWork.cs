using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Embeddings;

/// <summary>
/// An embed run as chunks of image ids, so several worker processes embed one dataset together: each chunk embeds the
/// images of its id range that have no vector for the model yet, and counts the ones this run already stored (a chunk
/// resumed after its worker died). Vectors go in with ON CONFLICT DO NOTHING, so a chunk done twice stores nothing twice.
/// </summary>
public sealed class EmbedChunkWork(IDbContextFactory<PlatformDbContext> contexts, EmbeddingService embeddings) : IChunkedWork
{
    public string Kind => JobKinds.Embed;

    public bool IsExpectedFailure(Exception exception) => exception is EmbeddingException;

    public async Task<IReadOnlyList<ChunkRange>> PlanAsync(JobRun run, int chunkSize, CancellationToken cancellationToken)
    {
        var (datasetId, model) = await LoadAsync(run, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var todo = await db.Images.AsNoTracking()
            .Where(i => i.DatasetId == datasetId && !db.Embeddings.Any(e => e.ImageId == i.Id && e.ModelId == model.Id))
            .OrderBy(i => i.Id).Select(i => i.Id).ToListAsync(cancellationToken);
        return todo.Chunk(chunkSize).Select(ids => new ChunkRange(ids[0], ids[^1], ids.Length)).ToList();
    }

    public async Task RunChunkAsync(JobRun run, JobChunk chunk, JobProgress progress, CancellationToken cancellationToken)
    {
        var (datasetId, model) = await LoadAsync(run, cancellationToken);
        List<EmbeddingService.Pending> todo;
        int resumed;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var inRange = db.Images.Where(i => i.DatasetId == datasetId && i.Id >= chunk.FirstItem && i.Id <= chunk.LastItem);
            resumed = await db.Embeddings.CountAsync(e => e.ModelId == model.Id && e.JobRunId == run.Id && inRange.Any(i => i.Id == e.ImageId), cancellationToken);
            todo = await inRange.AsNoTracking()
                .Where(i => !db.Embeddings.Any(e => e.ImageId == i.Id && e.ModelId == model.Id))
                .OrderBy(i => i.Id)
                .Select(i => new EmbeddingService.Pending(i.Id, i.Sha256, i.Format, i.Origin))
                .ToListAsync(cancellationToken);
        }

        for (var i = 0; i < resumed; i++)
        {
            progress.Succeed();
        }

        progress.SetMessage($"Embedding with {model.Label}: chunk {chunk.Index + 1} on {ChunkedJobRunner.Worker}");
        await progress.FlushAsync(force: true, cancellationToken);
        await embeddings.EmbedAsync(run.Id, model, todo, progress, cancellationToken);
        await progress.FlushAsync(force: true, cancellationToken);
    }

    public async Task<string> DescribeAsync(JobRun run, CancellationToken cancellationToken)
    {
        var summary = await SummarizeAsync(run.Id, 0, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var workers = await db.JobChunks.Where(c => c.JobRunId == run.Id && c.Worker != null).Select(c => c.Worker).Distinct().CountAsync(cancellationToken);
        return $"{summary.Describe()} by {workers} worker{(workers == 1 ? "" : "s")}";
    }

    /// <summary>The run's totals from its rows (summed over all workers), for the CLI and the closing message.</summary>
    public async Task<EmbedSummary> SummarizeAsync(long jobRunId, double seconds, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.JobRuns.AsNoTracking().FirstAsync(j => j.Id == jobRunId, cancellationToken);
        var (datasetId, model) = await LoadAsync(run, cancellationToken);
        var datasetName = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstAsync(cancellationToken);
        var total = await db.Images.CountAsync(i => i.DatasetId == datasetId, cancellationToken);
        var done = db.Embeddings.Where(e => e.ModelId == model.Id && db.Images.Any(i => i.Id == e.ImageId && i.DatasetId == datasetId));
        var skipped = await done.CountAsync(e => e.JobRunId != run.Id, cancellationToken);
        return new EmbedSummary(run.Id, datasetName, model.Name, model.Version, total, run.Succeeded, skipped, run.Failed, seconds)
        {
            ExecutionPath = model.ExecutionPath,
        };
    }

    private async Task<(int DatasetId, EmbeddingModel Model)> LoadAsync(JobRun run, CancellationToken cancellationToken)
    {
        var parameters = JobRunService.ReadParameters<EmbedParameters>(run);
        var datasetId = run.DatasetId ?? throw new EmbeddingException("the embed job names no dataset");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var model = await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == parameters.ModelId, cancellationToken)
            ?? throw new EmbeddingException($"model version {parameters.ModelId} does not exist");
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, cancellationToken))
        {
            throw new EmbeddingException($"dataset {datasetId} does not exist");
        }

        return (datasetId, model);
    }
}
