using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Embeddings;

/// <summary>Starts embed runs without doubling up: one active run per (dataset, model version) at a time.</summary>
public sealed class EmbedRuns(IDbContextFactory<PlatformDbContext> contexts, JobRunService runs, ModelRegistry models, IOptions<EmbeddingOptions> options)
{
    /// <summary>Queues an embed run for the dataset and model version, or returns the one already queued or running.</summary>
    public async Task<JobRun> StartAsync(int datasetId, int modelId, string? startedBy, CancellationToken cancellationToken = default)
    {
        var active = await FindActiveAsync(datasetId, modelId, cancellationToken);
        return active ?? await runs.CreateAndEnqueueAsync(JobKinds.Embed, datasetId, new EmbedParameters(modelId), startedBy, cancellationToken);
    }

    public async Task<JobRun?> FindActiveAsync(int datasetId, int modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var candidates = await db.JobRuns.AsNoTracking()
            .Where(j => j.Kind == JobKinds.Embed && j.DatasetId == datasetId && (j.State == JobState.Queued || j.State == JobState.Running))
            .ToListAsync(cancellationToken);
        return candidates.FirstOrDefault(j => JobRunService.ReadParameters<EmbedParameters>(j).ModelId == modelId);
    }

    /// <summary>
    /// After an import: embed the new images with every model the dataset already has vectors for, or with the
    /// default model when it has none yet. Returns the runs queued (none when turned off).
    /// </summary>
    public async Task<List<JobRun>> StartAfterImportAsync(int datasetId, string startedBy, CancellationToken cancellationToken = default)
    {
        if (!options.Value.EmbedAfterImport)
        {
            return [];
        }

        List<int> modelIds;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            modelIds = await db.Embeddings.Where(e => db.Images.Any(i => i.Id == e.ImageId && i.DatasetId == datasetId))
                .Select(e => e.ModelId).Distinct().ToListAsync(cancellationToken);
        }

        if (modelIds.Count == 0)
        {
            modelIds.Add((await models.ResolveDefaultAsync(cancellationToken)).Id);
        }

        var started = new List<JobRun>();
        foreach (var modelId in modelIds)
        {
            started.Add(await StartAsync(datasetId, modelId, startedBy, cancellationToken));
        }

        return started;
    }
}
