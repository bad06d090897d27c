using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>A dataset's labelling settings (overlap, lease, model, queue order, import labels shown), with defaults where none are saved.</summary>
public sealed class LabellingSettingsService(IDbContextFactory<PlatformDbContext> contexts, LabelWriteGate gate, TimeProvider clock)
{
    public async Task<LabellingSettings> GetSettingsAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var settings = await db.LabellingSettings.AsNoTracking().FirstOrDefaultAsync(s => s.DatasetId == datasetId, cancellationToken);
        if (settings is null && !await db.Datasets.AnyAsync(d => d.Id == datasetId, cancellationToken))
        {
            throw new LabellingException($"dataset {datasetId} does not exist", 404);
        }

        return settings ?? new LabellingSettings { DatasetId = datasetId };
    }

    public async Task SaveSettingsAsync(int datasetId, int overlap, int leaseSeconds, int? modelId, string user, Queue.QueueOrder order = Queue.QueueOrder.Random,
        bool showImportLabels = false, CancellationToken cancellationToken = default)
    {
        if (overlap is < 1 or > LabellingSettings.MaxOverlap)
        {
            throw new LabellingException($"overlap must be between 1 and {LabellingSettings.MaxOverlap}");
        }

        if (leaseSeconds is < 10 or > 3600)
        {
            throw new LabellingException("the lease must be between 10 and 3600 seconds");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.LabellingSettings.FirstOrDefaultAsync(s => s.DatasetId == datasetId, cancellationToken);
        if (row is null)
        {
            row = new LabellingSettings { DatasetId = datasetId };
            db.LabellingSettings.Add(row);
        }

        if (!Enum.IsDefined(order))
        {
            throw new LabellingException($"unknown queue order {(int)order}");
        }

        (row.Overlap, row.LeaseSeconds, row.ModelId, row.Order, row.ShowImportLabels, row.UpdatedAt, row.UpdatedBy) =
            (overlap, leaseSeconds, modelId, order, showImportLabels, clock.GetUtcNow(), user);
        await db.SaveChangesAsync(cancellationToken);
        // Suggestions and queue orders depend on the settings (model, import labels shown): their caches start again.
        gate.Bump(datasetId);
    }
}
