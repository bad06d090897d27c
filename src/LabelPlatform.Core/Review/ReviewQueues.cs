using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Search;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Review;

public sealed record Disagreement(long ImageId, LabelValue Label, string LabelName, int NeighbourClassId, string NeighbourClassName, double NeighbourShare, double LabelShare)
{
    /// <summary>
    /// The rule of both neighbour queues: with at least three neighbour classes (nearest first), fewer than half share
    /// the label and the most common one (a tie goes to the nearest) is another class. Null when the label stands.
    /// </summary>
    public static Disagreement? Judge(long imageId, LabelValue label, string labelName, IReadOnlyList<int> neighbours, IReadOnlyDictionary<int, string> names)
    {
        if (neighbours.Count < 3)
        {
            return null;
        }

        var own = neighbours.Count(c => c == label.ClassId) / (double)neighbours.Count;
        // GroupBy keeps first-seen order and the sort is stable, so among equal counts the nearest class comes first.
        var top = neighbours.GroupBy(c => c).OrderByDescending(g => g.Count()).First();
        return own < 0.5 && top.Key != label.ClassId
            ? new Disagreement(imageId, label, labelName, top.Key, names.GetValueOrDefault(top.Key, "?"), top.Count() / (double)neighbours.Count, own)
            : null;
    }
}

public sealed record NoConsensus(long ImageId, IReadOnlyList<(string User, string Label)> Votes);

/// <summary>
/// The review queues drawn from the labels: images whose votes met the overlap without a majority, and human labels
/// their nearest labelled neighbours disagree with.
/// </summary>
public sealed class ReviewQueues(IDbContextFactory<PlatformDbContext> contexts, NeighbourLabels neighbourLabels, LabelNames labelNames, SearchService search)
{
    /// <summary>Images that met the overlap without a majority and have no final label, oldest first.</summary>
    public async Task<List<NoConsensus>> NoConsensusAsync(int datasetId, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var board = await LabelBoard.LoadAsync(db, datasetId, cancellationToken);
        var names = await labelNames.ClassNamesAsync(datasetId, cancellationToken);
        var open = board.Images.Values.Where(i => i.Final is null && i.Consensus is null && i.Votes.Count >= board.Overlap).OrderBy(i => i.ImageId).Take(limit).ToList();
        var users = await LabelNames.UserNamesAsync(db, open.SelectMany(i => i.Votes.Select(v => v.UserId)), cancellationToken);
        return [.. open.Select(i => new NoConsensus(i.ImageId, [.. i.Votes.Select(v => (users.GetValueOrDefault(v.UserId, v.UserId), LabelNames.Describe(v.Value, names)))]))];
    }

    /// <summary>
    /// The kNN-disagreement queue: images with a human label (consensus, or votes that all agree) and no final label,
    /// where fewer than half of their nearest labelled neighbours share that label and most point elsewhere.
    /// </summary>
    public async Task<List<Disagreement>> DisagreementsAsync(int datasetId, int limit, CancellationToken cancellationToken = default)
    {
        var model = await neighbourLabels.ModelAsync(datasetId, cancellationToken);
        if (model is null)
        {
            return [];
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var board = await LabelBoard.LoadAsync(db, datasetId, cancellationToken);
        var names = await labelNames.ClassNamesAsync(datasetId, cancellationToken);
        var labels = await neighbourLabels.LabelsAsync(datasetId, withImport: true, cancellationToken); // reviewers weigh import labels too
        var candidates = board.Images.Values.Where(i => i.Final is null)
            .Select(i => (i.ImageId, Label: i.Consensus ?? NeighbourLabels.Unanimous(i)))
            .Where(c => c.Label is { ClassId: not null, Rejected: false })
            .OrderByDescending(c => c.ImageId).Take(2000).ToList();
        var index = await search.GetIndexAsync(datasetId, model, cancellationToken);
        var vectors = await neighbourLabels.VectorsAsync(model.Id, [.. candidates.Select(c => c.ImageId)], cancellationToken);
        var result = new List<Disagreement>();
        foreach (var (id, label) in candidates)
        {
            if (!vectors.TryGetValue(id, out var vector) || index.Count < 2)
            {
                continue;
            }

            var neighbours = index.Search(vector, Math.Min(LabelSuggestions.SearchDepth, index.Count), null, id)
                .Where(h => labels.ContainsKey(h.Id)).Take(LabelSuggestions.SuggestionNeighbours).Select(h => labels[h.Id]).ToList();
            if (Disagreement.Judge(id, label!.Value, LabelNames.Describe(label.Value, names), neighbours, names) is { } disagreement)
            {
                result.Add(disagreement);
            }
        }

        return [.. result.OrderBy(d => d.LabelShare).ThenBy(d => d.ImageId).Take(limit)];
    }
}
