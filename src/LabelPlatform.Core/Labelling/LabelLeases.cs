using System.Collections.Concurrent;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>
/// Leases: an image handed to a labeller is reserved for them for the dataset's lease time, so two labellers never
/// work one slot (votes plus other labellers' live leases never pass the overlap). The queue
/// (<see cref="Queue.LabelQueue"/>) and grid expansion lease through here; undo re-leases what it gives back.
/// </summary>
public sealed class LabelLeases(IDbContextFactory<PlatformDbContext> contexts, LabelWriteGate gate, LabellingSettingsService labellingSettings, TimeProvider clock)
{
    private readonly ConcurrentDictionary<int, DateTimeOffset> _lastLeaseSweep = new();

    /// <summary>
    /// Reserves for the labeller those of <paramref name="candidates"/> (in their order, up to <paramref name="count"/>)
    /// that still have a free slot: not voted on by them, not decided, fewer votes plus other labellers' live leases
    /// than the overlap. Grid expansion uses it for the neighbours it shows, so two labellers never work one slot.
    /// </summary>
    public async Task<IReadOnlyList<long>> LeaseAsync(int datasetId, string userId, IReadOnlyList<long> candidates, int count, CancellationToken cancellationToken = default)
    {
        var settings = await labellingSettings.GetSettingsAsync(datasetId, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        return await LeaseAsync(db, datasetId, userId, settings, [.. candidates], [], count, cancellationToken);
    }

    /// <summary>
    /// Those of <paramref name="imageIds"/> (in their order) that still have a slot for this labeller, by the rule leases
    /// use; a read only, for callers that look further when too few are left (grid expansion).
    /// </summary>
    public async Task<List<long>> WithSlotAsync(int datasetId, string userId, IReadOnlyList<long> imageIds, CancellationToken cancellationToken = default)
    {
        var overlap = (await labellingSettings.GetSettingsAsync(datasetId, cancellationToken)).Overlap;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = imageIds.ToList();
        var open = (await Open(db, datasetId, userId, [], clock.GetUtcNow()).Where(x => ids.Contains(x.Id) && (x.Mine || x.Votes + x.Others < overlap))
            .Select(x => x.Id).ToListAsync(cancellationToken)).ToHashSet();
        return [.. imageIds.Where(open.Contains)];
    }

    internal async Task<IReadOnlyList<long>> LeaseAsync(PlatformDbContext db, int datasetId, string userId, LabellingSettings settings, List<long> candidates,
        List<long> tiedCandidates, int count, CancellationToken cancellationToken)
    {
        var overlap = settings.Overlap;
        var all = candidates.Concat(tiedCandidates).ToList();
        if (all.Count == 0)
        {
            return [];
        }

        await using var tx = await gate.BeginAsync(db, cancellationToken);
        var now = clock.GetUtcNow();
        var state = await Open(db, datasetId, userId, [], now).Where(x => all.Contains(x.Id)).ToDictionaryAsync(x => x.Id, cancellationToken);
        var picked = candidates.Where(id => state.TryGetValue(id, out var x) && (x.Mine || x.Votes + x.Others < overlap))
            .Concat(tiedCandidates.Where(id => state.TryGetValue(id, out var x) && x.Others == 0))
            .Take(count).ToList();

        // Lapsed leases are only clutter once expired: cleared now and then while we hold the write lock anyway,
        // and before this labeller's own lapsed leases are loaded for renewal (a row deleted under them fails the update).
        if (now - _lastLeaseSweep.GetValueOrDefault(datasetId) > TimeSpan.FromSeconds(30))
        {
            _lastLeaseSweep[datasetId] = now;
            await db.LabelLeases.Where(l => l.DatasetId == datasetId && l.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
        }

        await HoldAsync(db, datasetId, userId, picked, now.AddSeconds(settings.LeaseSeconds), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return picked;
    }

    /// <summary>Reserves <paramref name="imageIds"/> for the labeller until <paramref name="expires"/>: their leases renewed, missing ones added (saved by the caller).</summary>
    internal static async Task HoldAsync(PlatformDbContext db, int datasetId, string userId, List<long> imageIds, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var held = await db.LabelLeases.Where(l => l.UserId == userId && imageIds.Contains(l.ImageId)).ToDictionaryAsync(l => l.ImageId, cancellationToken);
        foreach (var id in imageIds)
        {
            if (held.TryGetValue(id, out var lease))
            {
                lease.ExpiresAt = expires;
            }
            else
            {
                db.LabelLeases.Add(new LabelLease { DatasetId = datasetId, ImageId = id, UserId = userId, ExpiresAt = expires });
            }
        }
    }

    /// <summary>Member-initialised (not a constructor) so EF can filter and sort on it after the projection.</summary>
    internal sealed class OpenImage
    {
        public long Id { get; init; }
        public int Votes { get; init; }
        public int Others { get; init; }
        public bool Mine { get; init; }
    }

    /// <summary>The dataset's images this labeller has not voted on and no reviewer has decided, with their slot counts.</summary>
    internal static IQueryable<OpenImage> Open(PlatformDbContext db, int datasetId, string userId, List<long> excluded, DateTimeOffset now) =>
        db.Images.Where(i => i.DatasetId == datasetId && !excluded.Contains(i.Id) && i.NearDuplicateOfId == null
                && !db.LabelVotes.Any(v => v.ImageId == i.Id && v.UserId == userId)
                && !db.FinalLabels.Any(f => f.ImageId == i.Id))
            .Select(i => new OpenImage
            {
                Id = i.Id,
                Votes = db.LabelVotes.Count(v => v.ImageId == i.Id && v.Kind != LabelEventKind.Skip),
                Others = db.LabelLeases.Count(l => l.ImageId == i.Id && l.UserId != userId && l.ExpiresAt > now),
                Mine = db.LabelLeases.Any(l => l.ImageId == i.Id && l.UserId == userId && l.ExpiresAt > now),
            });
}
