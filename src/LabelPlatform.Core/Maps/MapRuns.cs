using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Maps;

/// <summary>Starts map runs without doubling up: one active run per (dataset, model version).</summary>
public sealed class MapRuns(IDbContextFactory<PlatformDbContext> contexts, JobRunService runs)
{
    public async Task<JobRun> StartAsync(int datasetId, int modelId, string? startedBy, CancellationToken cancellationToken = default) =>
        await FindActiveAsync(datasetId, modelId, cancellationToken)
        ?? await runs.CreateAndEnqueueAsync(JobKinds.Map, datasetId, new MapParameters(modelId), startedBy, cancellationToken);

    public async Task<JobRun?> FindActiveAsync(int datasetId, int modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var candidates = await db.JobRuns.AsNoTracking()
            .Where(j => j.Kind == JobKinds.Map && j.DatasetId == datasetId && (j.State == JobState.Queued || j.State == JobState.Running))
            .ToListAsync(cancellationToken);
        return candidates.FirstOrDefault(j => JobRunService.ReadParameters<MapParameters>(j).ModelId == modelId);
    }
}
