using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>
/// What a dataset's labels and labelling settings are at, as every process sees it: caches of derived state
/// (neighbour labels, the uncertainty queue order) compare it to decide whether to rebuild. <see cref="LabelWriteGate"/>'s
/// generation alone counts this process's writes, so another web process behind the same database never saw a
/// label submitted here and kept its hints stale until it restarted.
/// </summary>
/// <remarks>
/// Polling, not PostgreSQL LISTEN/NOTIFY: every label write (submit, undo, review) appends a label event and a
/// submission, so the newest of their ids (primary-key lookups, O(1) on both databases) plus the settings row's time
/// is a complete version, and one query per cache per second on the read path costs less than a listener connection
/// per process that SQLite could not offer anyway. The ids are global, not per dataset: a write to another dataset
/// only costs one early rebuild, which the callers' minimum cache age bounds.
/// </remarks>
public sealed class LabelVersions(IDbContextFactory<PlatformDbContext> contexts, LabelWriteGate writes)
{
    public async Task<LabelVersion> CurrentAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var events = await db.LabelEvents.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0;
        var submissions = await db.LabelSubmissions.MaxAsync(s => (long?)s.Id, cancellationToken) ?? 0;
        var settings = await db.LabellingSettings.AsNoTracking().Where(s => s.DatasetId == datasetId)
            .Select(s => new { s.UpdatedAt, s.ModelId, s.ShowImportLabels, s.Order }).FirstOrDefaultAsync(cancellationToken);
        var settingsStamp = settings is null ? "" : $"{settings.UpdatedAt.UtcTicks}/{settings.ModelId}/{settings.ShowImportLabels}/{settings.Order}";
        return new LabelVersion(writes.Generation(datasetId), events, submissions, settingsStamp);
    }
}

/// <summary>A dataset's label version: equal values mean no label or settings write since, in any process.</summary>
public readonly record struct LabelVersion(long LocalGeneration, long NewestEvent, long NewestSubmission, string Settings);
