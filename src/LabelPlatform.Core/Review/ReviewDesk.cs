using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Labelling;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Review;

/// <summary>The review queues a reviewer can page through.</summary>
public static class ReviewQueueNames
{
    public const string Consensus = "consensus";
    public const string Knn = "knn";
    public const string Import = "import";
    public const string Conflicts = "conflicts";

    /// <summary>Images sent to review (the browser's bulk action) and not decided since.</summary>
    public const string Flagged = "flagged";

    public static string Normalise(string? queue) => queue is Knn or Import or Conflicts or Flagged ? queue : Consensus;
}

public sealed record ReviewVote(string User, string Label);

public sealed record ReviewChoice(int ClassId, string Name);

/// <summary>What Enter accepts for an image, and why (e.g. "2 of 4 votes", "70% of its 10 nearest images").</summary>
public sealed record ReviewMajority(int ClassId, string Name, string Basis);

/// <summary>One image to decide: its votes, a note on why it is here, the quick choices and the majority (if any).</summary>
public sealed record ReviewItem(long ImageId, string Origin, int? Version, IReadOnlyList<ReviewVote> Votes, string? Note, IReadOnlyList<ReviewChoice> Quick, ReviewMajority? Majority);

/// <summary>One page of a queue; <see cref="Total"/> counts the whole queue.</summary>
public sealed record ReviewQueuePage(string Queue, IReadOnlyList<ReviewItem> Items, int PageNumber, int PageCount, int Total, bool HasModel, SuspectSource? Source);

/// <summary>
/// The reviewer's desk: every review queue a page at a time (no queue stops at its first screenful), each image with
/// the majority Enter accepts, and bulk acceptance of those majorities. Decisions go through
/// <see cref="ReviewDecisions.SetFinalAsync"/>, so a bulk accept is the same audited, version-checked write as one click.
/// </summary>
public sealed class ReviewDesk(IDbContextFactory<PlatformDbContext> contexts, ReviewQueues queues, LabelSuggestions suggestions, NeighbourLabels neighbourLabels, LabelNames labelNames, ImportSuspectQueue importSuspects, ReviewDecisions decisions, DatasetService datasets, ReviewFlagging flags)
{
    public const int PageSize = 50;
    public const int MaxBulk = 200;

    /// <summary>A queue entry before it is described: its image, note, quick class ids and majority.</summary>
    private sealed record Entry(long ImageId, IReadOnlyList<ReviewVote> Votes, string? Note, IReadOnlyList<int> Quick, (int ClassId, string Basis)? Majority);

    public async Task<ReviewQueuePage> PageAsync(int datasetId, string? queue, int page, CancellationToken cancellationToken = default)
    {
        queue = ReviewQueueNames.Normalise(queue);
        var names = await labelNames.ClassNamesAsync(datasetId, cancellationToken);
        var hasModel = true;
        SuspectSource? source = null;
        List<Entry> entries;
        switch (queue)
        {
            case ReviewQueueNames.Knn:
                hasModel = await neighbourLabels.ModelAsync(datasetId, cancellationToken) is not null;
                entries = [.. (await queues.DisagreementsAsync(datasetId, int.MaxValue, cancellationToken)).Select(d => new Entry(d.ImageId, [],
                    $"labelled {d.LabelName}, but {d.NeighbourShare:P0} of its nearest labelled neighbours are {d.NeighbourClassName} ({d.LabelShare:P0} agree)",
                    Quick(d.Label.ClassId, d.NeighbourClassId), d.Label.ClassId is { } c ? (c, "the labellers' label") : null))];
                break;
            case ReviewQueueNames.Import:
                var (found, suspects) = await importSuspects.FindAsync(datasetId, cancellationToken);
                source = found;
                entries = [.. suspects.Select(d => new Entry(d.ImageId, [],
                    $"imported as {d.LabelName}, but {d.NeighbourShare:P0} of its {ImportLabelSuspects.Neighbours} nearest images are {d.NeighbourClassName} ({d.LabelShare:P0} agree)",
                    Quick(d.Label.ClassId, d.NeighbourClassId), (d.NeighbourClassId, $"{d.NeighbourShare:P0} of its {ImportLabelSuspects.Neighbours} nearest images")))];
                break;
            case ReviewQueueNames.Conflicts:
                entries = await ConflictEntriesAsync(datasetId, names, cancellationToken);
                break;
            case ReviewQueueNames.Flagged:
                entries = await FlaggedEntriesAsync(datasetId, cancellationToken);
                break;
            default:
                entries = await NoConsensusEntriesAsync(datasetId, cancellationToken);
                break;
        }

        var total = entries.Count;
        var pageCount = Math.Max(1, (total + PageSize - 1) / PageSize);
        var number = Math.Clamp(page, 1, pageCount);
        var shown = entries.Skip((number - 1) * PageSize).Take(PageSize).ToList();
        if (queue == ReviewQueueNames.Consensus)
        {
            shown = await BreakTiesAsync(datasetId, shown, cancellationToken);
        }

        var ids = shown.Select(e => e.ImageId).ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var origins = await db.Images.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, i => i.Origin, cancellationToken);
        var versions = await db.FinalLabels.AsNoTracking().Where(f => ids.Contains(f.ImageId)).ToDictionaryAsync(f => f.ImageId, f => f.Version, cancellationToken);
        var items = shown.Select(e => new ReviewItem(e.ImageId, origins.GetValueOrDefault(e.ImageId, ""), versions.TryGetValue(e.ImageId, out var v) ? v : null, e.Votes, e.Note,
            [.. e.Quick.Where(names.ContainsKey).Select(c => new ReviewChoice(c, names[c]))],
            e.Majority is { } m && names.TryGetValue(m.ClassId, out var name) ? new ReviewMajority(m.ClassId, name, m.Basis) : null)).ToList();
        return new ReviewQueuePage(queue, items, number, pageCount, total, hasModel, source);
    }

    public sealed record BulkItem(long ImageId, int ClassId, int? ExpectedVersion, string ClientId);

    /// <summary>Error: why this image was not decided (a conflict with another reviewer, a deleted class); null when saved.</summary>
    public sealed record BulkResult(long ImageId, int? Version, bool Duplicate, string? Error);

    /// <summary>Accepts several images' classes, one audited decision each; one refusal does not stop the others.</summary>
    public async Task<List<BulkResult>> AcceptAsync(int datasetId, string userId, IReadOnlyList<BulkItem> items, CancellationToken cancellationToken = default)
    {
        if (items.Count is 0 or > MaxBulk)
        {
            throw new LabellingException($"a bulk accept holds 1 to {MaxBulk} images");
        }

        if (items.Select(i => i.ImageId).Distinct().Count() != items.Count)
        {
            throw new LabellingException("an image appears twice in one bulk accept");
        }

        var results = new List<BulkResult>();
        foreach (var item in items)
        {
            try
            {
                var saved = await decisions.SetFinalAsync(new ReviewRequest(datasetId, item.ImageId, userId, item.ClientId, item.ClassId, false, item.ExpectedVersion), cancellationToken);
                results.Add(new BulkResult(item.ImageId, saved.Version, saved.Duplicate, null));
            }
            catch (LabelConflictException ex)
            {
                results.Add(new BulkResult(item.ImageId, null, false, ex.Message));
            }
            catch (LabellingException ex)
            {
                results.Add(new BulkResult(item.ImageId, null, false, ex.Message));
            }
        }

        return results;
    }

    /// <summary>The class with more votes than any other, if there is one (a tie has none); noise and reject are not classes.</summary>
    public static (int ClassId, int Votes)? Plurality(IReadOnlyList<int?> votes)
    {
        var counts = votes.OfType<int>().GroupBy(c => c).Select(g => (ClassId: g.Key, Votes: g.Count())).OrderByDescending(g => g.Votes).ToList();
        return counts.Count > 0 && (counts.Count == 1 || counts[0].Votes > counts[1].Votes) ? counts[0] : null;
    }

    private static List<int> Quick(params int?[] classIds) => [.. classIds.OfType<int>().Where(c => c != 0).Distinct()];

    private async Task<List<Entry>> NoConsensusEntriesAsync(int datasetId, CancellationToken cancellationToken)
    {
        var open = await queues.NoConsensusAsync(datasetId, int.MaxValue, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var votes = await db.LabelVotes.AsNoTracking().Where(v => v.DatasetId == datasetId && v.Kind != LabelEventKind.Skip)
            .Select(v => new { v.ImageId, v.Kind, v.ClassId }).ToListAsync(cancellationToken);
        var byImage = votes.ToLookup(v => v.ImageId, v => v.Kind == LabelEventKind.Reject ? null : v.ClassId);
        return [.. open.Select(o =>
        {
            var cast = byImage[o.ImageId].ToList();
            return new Entry(o.ImageId, [.. o.Votes.Select(v => new ReviewVote(v.User, v.Label))], null, Quick([.. cast]),
                Plurality(cast) is { } t ? (t.ClassId, $"{t.Votes} of {cast.Count} votes") : null);
        })];
    }

    /// <summary>
    /// Tied votes: the nearest labelled images break the tie when most of them agree. Only for the page shown, as
    /// each costs a neighbour search.
    /// </summary>
    private async Task<List<Entry>> BreakTiesAsync(int datasetId, List<Entry> shown, CancellationToken cancellationToken)
    {
        var tied = shown.Where(e => e.Majority is null).Select(e => e.ImageId).ToList();
        var hints = (await suggestions.SuggestAsync(datasetId, tied, withImport: true, cancellationToken)).ToDictionary(s => s.ImageId); // reviewers weigh import labels
        return [.. shown.Select(e => e.Majority is null && hints.TryGetValue(e.ImageId, out var s) && s.Items is [var first, ..] && first.Confidence >= 0.5
            ? e with { Majority = (first.ClassId, $"{first.Votes} of its {s.NeighboursUsed} nearest labelled images (the votes are tied)") }
            : e)];
    }

    /// <summary>Open flags, oldest first: who sent each and why, its votes, and as majority the votes' plurality or else its import label.</summary>
    private async Task<List<Entry>> FlaggedEntriesAsync(int datasetId, CancellationToken cancellationToken)
    {
        var open = await flags.OpenAsync(datasetId, cancellationToken);
        var ids = open.Select(f => f.ImageId).ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var imports = await db.Images.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, i => i.SourceClassId, cancellationToken);
        var votes = await db.LabelVotes.AsNoTracking().Where(v => ids.Contains(v.ImageId) && v.Kind != LabelEventKind.Skip)
            .Select(v => new { v.ImageId, v.UserId, v.Kind, v.ClassId }).ToListAsync(cancellationToken);
        var users = await LabelNames.UserNamesAsync(db, open.Select(f => f.FlaggedBy).Concat(votes.Select(v => v.UserId)), cancellationToken);
        var names = await labelNames.ClassNamesAsync(datasetId, cancellationToken);
        var byImage = votes.ToLookup(v => v.ImageId);
        return [.. open.Select(f =>
        {
            var cast = byImage[f.ImageId].Select(v => v.Kind == LabelEventKind.Reject ? null : v.ClassId).ToList();
            var import = imports.GetValueOrDefault(f.ImageId);
            var note = $"sent to review by {users.GetValueOrDefault(f.FlaggedBy, f.FlaggedBy)} on {f.FlaggedAt:yyyy-MM-dd HH:mm} UTC" + (f.Note is { } n ? $": {n}" : "");
            (int, string)? majority = Plurality(cast) is { } t ? (t.ClassId, $"{t.Votes} of {cast.Count} votes") : import is { } c ? (c, "the import label") : null;
            return new Entry(f.ImageId,
                [.. byImage[f.ImageId].Select(v => new ReviewVote(users.GetValueOrDefault(v.UserId, v.UserId), v.Kind == LabelEventKind.Reject ? "rejected" : v.Kind == LabelEventKind.Noise ? "noise" : v.ClassId is { } k ? names.GetValueOrDefault(k, "?") : "?"))],
                note, Quick([.. cast, import]), majority);
        })];
    }

    private async Task<List<Entry>> ConflictEntriesAsync(int datasetId, IReadOnlyDictionary<int, string> names, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Images a reviewer already decided are settled; the rest show every label their copies came with.
        var decided = await db.FinalLabels.Where(f => f.DatasetId == datasetId).Select(f => f.ImageId).ToHashSetAsync(cancellationToken);
        var open = (await datasets.LabelConflictsAsync(datasetId, int.MaxValue, cancellationToken)).Where(c => !decided.Contains(c.ImageId)).ToList();
        string NameOf(int? id) => id is { } c ? names.GetValueOrDefault(c, "?") : "unlabelled";
        return [.. open.Select(c =>
        {
            var labels = new[] { c.KeptClassId }.Concat(c.Copies.Select(x => x.ClassId)).ToList();
            var top = Plurality(labels);
            return new Entry(c.ImageId, [], $"kept as {NameOf(c.KeptClassId)} ({c.KeptOrigin}); also {string.Join(", ", c.Copies.Select(x => $"{NameOf(x.ClassId)} ({x.Origin})"))}",
                Quick([.. labels]), top is { } t ? (t.ClassId, $"{t.Votes} of {labels.Count} copies") : null);
        })];
    }
}
