using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Review;
using LabelPlatform.Core.Search;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Browsing;

/// <summary>One image as the browser shows it: what it came with, what people said, and (sorted by similarity) its score.</summary>
public sealed record BrowseTile(long Id, string Sha256, string Origin, string? ImportLabel, string? FinalLabel, string? Consensus, int Votes, long? NearDuplicateOfId, string? Host, float? Score);

/// <summary>One page of the filtered, sorted images. <see cref="SortNote"/> says why a sort fell back to id order.</summary>
public sealed record BrowsePage(IReadOnlyList<BrowseTile> Tiles, int Total, int PageNumber, int PageCount, int PageSize, string? SortNote);

/// <summary>What the sidebar offers: the dataset's classes, who has voted, and the hosts crawled images came from.</summary>
public sealed record BrowseFacets(IReadOnlyList<(int Id, string Name)> Classes, IReadOnlyList<(string Id, string Name)> Labellers, IReadOnlyList<string> Hosts, bool HasModel);

/// <summary>
/// The data browser's read side (FiftyOne's sidebar, Label Studio's Data Manager): filters a dataset's images by import
/// label, human labels, vote state, labeller, near duplicates and crawled host, and orders them by id, by similarity to
/// one image, by uniqueness (distance to the nearest other image) or by model disagreement. Columns SQL can judge are filtered there; human labels come from one
/// <see cref="LabelBoard"/> read and are judged in memory, which is one pass over the dataset's rows per page.
/// </summary>
public sealed class BrowseQuery(IDbContextFactory<PlatformDbContext> contexts, ReviewQueues reviewQueues, NeighbourLabels neighbourLabels, LabelNames labelNames, SearchService search, UniquenessScores uniqueness)
{
    private sealed record Row(long Id, int? SourceClassId, long? NearDuplicateOfId, string? Host);

    public async Task<BrowsePage> PageAsync(int datasetId, BrowseFilter filter, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await CandidatesAsync(db, datasetId, filter, cancellationToken);
        var board = await LabelBoard.LoadAsync(db, datasetId, cancellationToken);
        var kept = rows.Where(r => Matches(board, r.Id, filter)).Select(r => r.Id).ToList();
        var (ordered, scores, note) = await OrderAsync(db, datasetId, kept, filter, cancellationToken);

        var size = BrowseFilter.NormalisePageSize(filter.PageSize);
        var pageCount = Math.Max(1, (ordered.Count + size - 1) / size);
        var number = Math.Clamp(filter.Page, 1, pageCount);
        var pageIds = ordered.Skip((number - 1) * size).Take(size).ToList();
        var names = await labelNames.ClassNamesAsync(datasetId, cancellationToken);
        var details = await db.Images.AsNoTracking().Where(i => pageIds.Contains(i.Id))
            .Select(i => new { i.Id, i.Sha256, i.Origin, i.SourceClassId, i.NearDuplicateOfId, i.Source })
            .ToDictionaryAsync(i => i.Id, cancellationToken);
        var tiles = pageIds.Where(details.ContainsKey).Select(id =>
        {
            var d = details[id];
            var labels = board.Images.GetValueOrDefault(id);
            return new BrowseTile(id, d.Sha256, d.Origin,
                d.SourceClassId is { } c ? names.GetValueOrDefault(c, $"class {c}") : null,
                labels?.Final is { } f ? LabelNames.Describe(f, names) : null,
                labels?.Consensus is { } k ? LabelNames.Describe(k, names) : null,
                labels?.Votes.Count ?? 0, d.NearDuplicateOfId,
                d.Source == ImageSource.Crawl ? BrowseFilter.HostOf(d.Origin) : null,
                scores.TryGetValue(id, out var s) ? s : null);
        }).ToList();
        return new BrowsePage(tiles, ordered.Count, number, pageCount, size, note);
    }

    public async Task<BrowseFacets> FacetsAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var classes = (await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).Select(c => new { c.Id, c.Name }).ToListAsync(cancellationToken))
            .OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Select(c => (c.Id, c.Name)).ToList();
        var voters = await db.LabelVotes.AsNoTracking().Where(v => v.DatasetId == datasetId && v.Kind != LabelEventKind.Skip)
            .Select(v => v.UserId).Distinct().ToListAsync(cancellationToken);
        var users = await LabelNames.UserNamesAsync(db, voters, cancellationToken);
        var labellers = voters.Select(u => (Id: u, Name: users.GetValueOrDefault(u, u))).OrderBy(u => u.Name, StringComparer.OrdinalIgnoreCase).ToList();
        var origins = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId && i.Source == ImageSource.Crawl).Select(i => i.Origin).ToListAsync(cancellationToken);
        var hosts = origins.Select(BrowseFilter.HostOf).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return new BrowseFacets(classes, labellers, hosts, await neighbourLabels.ModelAsync(datasetId, cancellationToken) is not null);
    }

    /// <summary>The dataset's rows after the filters SQL can judge (import label, near duplicate, crawled), then the host.</summary>
    private static async Task<List<Row>> CandidatesAsync(PlatformDbContext db, int datasetId, BrowseFilter filter, CancellationToken cancellationToken)
    {
        var query = db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId);
        if (filter.ImportClassId is { } importClass)
        {
            query = query.Where(i => i.SourceClassId == importClass);
        }

        query = filter.NearDuplicate switch
        {
            true => query.Where(i => i.NearDuplicateOfId != null),
            false => query.Where(i => i.NearDuplicateOfId == null),
            null => query,
        };
        var host = string.IsNullOrWhiteSpace(filter.Host) ? null : filter.Host.Trim().ToLowerInvariant();
        if (host is not null)
        {
            query = query.Where(i => i.Source == ImageSource.Crawl);
        }

        // The origin only travels for crawled images, and only when a host is asked for.
        var rows = await query.OrderBy(i => i.Id)
            .Select(i => new Row(i.Id, i.SourceClassId, i.NearDuplicateOfId, host != null ? i.Origin : null)).ToListAsync(cancellationToken);
        return host is null ? rows : [.. rows.Where(r => r.Host is { } origin && BrowseFilter.HostOf(origin) == host)];
    }

    private static bool Matches(LabelBoard board, long id, BrowseFilter filter)
    {
        var labels = board.Images.GetValueOrDefault(id);
        var final = labels?.Final;
        var consensus = labels?.Consensus;
        if (filter.FinalRejected && final is not { Rejected: true })
        {
            return false;
        }

        if (filter.FinalClassId is { } finalClass && (final is not { Rejected: false } || final.Value.ClassId != finalClass))
        {
            return false;
        }

        if (filter.ConsensusClassId is { } consensusClass && (consensus is not { Rejected: false } || consensus.Value.ClassId != consensusClass))
        {
            return false;
        }

        if (filter.LabellerId is { Length: > 0 } user && labels?.Votes.Any(v => v.UserId == user) != true)
        {
            return false;
        }

        var votes = labels?.Votes.Count ?? 0;
        return filter.State switch
        {
            VoteState.NoVotes => final is null && votes == 0,
            VoteState.NoConsensus => final is null && votes > 0 && consensus is null,
            VoteState.Consensus => final is null && consensus is not null,
            VoteState.Final => final is not null,
            _ => true,
        };
    }

    private async Task<(List<long> Ordered, Dictionary<long, float> Scores, string? Note)> OrderAsync(
        PlatformDbContext db, int datasetId, List<long> ids, BrowseFilter filter, CancellationToken cancellationToken)
    {
        if (filter.Sort == BrowseSort.Id)
        {
            return (ids, [], null);
        }

        var model = await neighbourLabels.ModelAsync(datasetId, cancellationToken);
        if (model is null)
        {
            return (ids, [], "This dataset has no embeddings yet: sorted by id.");
        }

        if (filter.Sort == BrowseSort.Disagreement)
        {
            var order = (await reviewQueues.DisagreementsAsync(datasetId, int.MaxValue, cancellationToken)).Select((d, rank) => (d.ImageId, rank)).ToDictionary(x => x.ImageId, x => x.rank);
            return ([.. ids.OrderBy(id => order.GetValueOrDefault(id, int.MaxValue)).ThenBy(id => id)], [], order.Count == 0 ? "No image disagrees with its neighbours: sorted by id." : null);
        }

        if (filter.Sort == BrowseSort.Uniqueness)
        {
            // Images without a vector (not embedded yet) follow the scored ones, in id order.
            var distances = await uniqueness.DistancesAsync(datasetId, model, cancellationToken);
            var kept = ids.ToHashSet();
            var scored = distances.Where(d => kept.Contains(d.Key)).ToDictionary(d => d.Key, d => d.Value);
            return ([.. ids.OrderByDescending(id => scored.TryGetValue(id, out var s) ? s : float.NegativeInfinity).ThenBy(id => id)], scored,
                distances.Count == 0 ? "Uniqueness needs at least two embedded images: sorted by id." : null);
        }

        if (filter.LikeImageId is not { } like)
        {
            return (ids, [], "Choose an image to sort by similarity (its id): sorted by id.");
        }

        var stored = await db.Embeddings.AsNoTracking()
            .Where(e => e.ImageId == like && e.ModelId == model.Id && db.Images.Any(i => i.Id == like && i.DatasetId == datasetId))
            .Select(e => e.Vector).FirstOrDefaultAsync(cancellationToken);
        if (stored is null)
        {
            return (ids, [], $"Image {like} has no vector of {model.Name} v{model.Version} in this dataset: sorted by id.");
        }

        var index = await search.GetIndexAsync(datasetId, model, cancellationToken);
        if (index.Count == 0)
        {
            return (ids, [], "The dataset's index is empty: sorted by id.");
        }

        // Beyond the index's largest k the rest follow in id order, after every scored image.
        var scores = index.Search(VectorCodec.FromBytes(stored), Math.Min(index.Count, VectorIndexLimits.MaxK)).ToDictionary(h => h.Id, h => h.Score);
        return ([.. ids.OrderByDescending(id => scores.TryGetValue(id, out var s) ? s : float.NegativeInfinity).ThenBy(id => id)], scores, null);
    }
}
