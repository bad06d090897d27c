using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling.Queue;

/// <summary>
/// Hands labellers their next images, in the dataset's <see cref="QueueOrder"/>, and leases them
/// (<see cref="LabelLeases.LeaseAsync(int, string, IReadOnlyList{long}, int, CancellationToken)"/> keeps two
/// labellers off one slot).
/// </summary>
public sealed class LabelQueue(IDbContextFactory<PlatformDbContext> contexts, LabelLeases leases, LabellingSettingsService labellingSettings, QueuePriorities priorities, TimeProvider clock)
{
    public const int MaxCount = 50;
    private const int MaxNextRounds = 8, MaxCandidates = 400;

    /// <summary>How far one request walks the order for images nobody has touched (in ids) before ranking what is open.</summary>
    private const int WalkLimit = 40_000, WalkChunk = 500;

    /// <summary>
    /// Up to <paramref name="count"/> (1..<see cref="MaxCount"/>) images for the labeller, leased to them. Images they
    /// already hold come first; then images nobody has voted on or holds, in the queue order (a random order starts at
    /// the labeller's own point); then images still short of the overlap, fewest votes first, counting other
    /// labellers' live leases as taken slots; then images that met the overlap without a consensus and have no final
    /// label (one more vote may settle them).
    /// </summary>
    public async Task<IReadOnlyList<long>> NextAsync(int datasetId, string userId, int count, IReadOnlyCollection<long> exclude, CancellationToken cancellationToken = default)
    {
        if (count is < 1 or > MaxCount)
        {
            throw new LabellingException($"count must be between 1 and {MaxCount}");
        }

        var settings = await labellingSettings.GetSettingsAsync(datasetId, cancellationToken);
        var plan = await priorities.PlanAsync(datasetId, settings.Order, cancellationToken);
        var start = plan.Rotate ? QueueOrdering.StartFor(datasetId, userId, plan.Ids.Count) : 0;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var excluded = exclude.ToList();
        var leased = new List<long>();
        // Labellers who ask at the same moment read the same free images before any of them leases: all but the first
        // few would find their candidates taken and be told there is nothing left. So look again, past the images
        // found taken, until the batch is full or a round finds no candidates at all.
        for (var round = 0; round < MaxNextRounds && leased.Count < count; round++)
        {
            // A wider window each round, so a crowd of labellers spreads over the free images quickly.
            var want = Math.Min(MaxCandidates, 3 * (count - leased.Count) << round);
            var (candidates, tied) = await CandidatesAsync(db, datasetId, userId, settings.Overlap, plan, start, count - leased.Count, want, excluded, cancellationToken);
            if (candidates.Count + tied.Count == 0)
            {
                break;
            }

            leased.AddRange(await leases.LeaseAsync(db, datasetId, userId, settings, candidates, tied, count - leased.Count, cancellationToken));
            excluded.AddRange(candidates.Concat(tied));
        }

        return leased;
    }

    private async Task<(List<long> Candidates, List<long> Tied)> CandidatesAsync(PlatformDbContext db, int datasetId, string userId, int overlap, QueuePlan plan, int start,
        int count, int want, List<long> excluded, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var open = LabelLeases.Open(db, datasetId, userId, excluded, now);

        // Candidates first, outside the write lock (plain reads); then, holding it, only those are checked again and
        // leased, so two labellers never take the last slot of an image together.
        var candidates = (await db.LabelLeases.Where(l => l.DatasetId == datasetId && l.UserId == userId && l.ExpiresAt > now && !excluded.Contains(l.ImageId)
                && !db.LabelVotes.Any(v => v.ImageId == l.ImageId && v.UserId == userId) && !db.FinalLabels.Any(f => f.ImageId == l.ImageId))
            .Select(l => l.ImageId).Take(want).ToListAsync(cancellationToken)).OrderBy(id => plan.RankFrom(start, id)).ToList();
        if (candidates.Count < want)
        {
            candidates.AddRange(await UntouchedAsync(db, datasetId, plan, start, want - candidates.Count, [.. excluded, .. candidates], now, cancellationToken));
        }

        if (candidates.Count < count)
        {
            var known = candidates.ToList();
            // Only when nothing untouched is left near: rank what is open (a pool, chosen by a hash so not by id) by votes, then the order.
            var pool = await open.Where(x => !known.Contains(x.Id) && (x.Mine || x.Votes + x.Others < overlap))
                .OrderByDescending(x => x.Mine).ThenBy(x => x.Votes).ThenBy(x => x.Id * 2654435761L % 4294967291L)
                .Select(x => new { x.Id, x.Votes, x.Mine }).Take(Math.Max(want, 2000)).ToListAsync(cancellationToken);
            candidates.AddRange(pool.OrderByDescending(x => x.Mine).ThenBy(x => x.Votes).ThenBy(x => plan.RankFrom(start, x.Id)).Select(x => x.Id).Take(want));
        }

        var tiedCandidates = new List<long>();
        if (candidates.Count < count)
        {
            // Met the overlap, no majority, nobody else on it right now.
            var tied = await open.Where(x => x.Votes >= overlap && x.Others == 0).Select(x => x.Id).Take(500).ToListAsync(cancellationToken);
            var votes = await db.LabelVotes.Where(v => tied.Contains(v.ImageId)).Select(v => new { v.ImageId, v.Kind, v.ClassId }).ToListAsync(cancellationToken);
            tiedCandidates.AddRange(votes.GroupBy(v => v.ImageId)
                .Where(g => Agreement.Consensus([.. g.Select(v => LabelValue.FromVote(v.Kind, v.ClassId)).OfType<LabelValue>()], overlap) is null)
                .Select(g => g.Key).OrderBy(id => plan.RankFrom(start, id)).Take(count * 3));
        }

        return (candidates, tiedCandidates);
    }

    /// <summary>Images nobody has voted on, decided or holds, walking the plan from <paramref name="start"/> (wrapping round).</summary>
    private static async Task<List<long>> UntouchedAsync(PlatformDbContext db, int datasetId, QueuePlan plan, int start, int want, HashSet<long> skip, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var found = new List<long>();
        var total = plan.Ids.Count;
        for (var walked = 0; walked < Math.Min(total, WalkLimit) && found.Count < want; walked += WalkChunk)
        {
            var chunk = Enumerable.Range(walked, Math.Min(WalkChunk, total - walked)).Select(i => plan.Ids[(start + i) % total]).Where(id => !skip.Contains(id)).ToList();
            var free = (await db.Images.Where(i => i.DatasetId == datasetId && chunk.Contains(i.Id)
                    && !db.LabelVotes.Any(v => v.ImageId == i.Id) && !db.FinalLabels.Any(f => f.ImageId == i.Id)
                    && !db.LabelLeases.Any(l => l.ImageId == i.Id && l.ExpiresAt > now))
                .Select(i => i.Id).ToListAsync(cancellationToken)).ToHashSet();
            found.AddRange(chunk.Where(free.Contains).Take(want - found.Count));
        }

        return found;
    }
}
