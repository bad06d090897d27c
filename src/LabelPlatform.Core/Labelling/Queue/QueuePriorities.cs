using System.Collections.Concurrent;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling.Queue;

/// <summary>
/// A dataset's queue order: every canonical image once, best first. <see cref="Rotate"/>: each labeller starts at their
/// own point (random order) rather than all at the top (a ranked order).
/// </summary>
public sealed class QueuePlan(QueueOrder order, long[] ids, bool rotate)
{
    private readonly Dictionary<long, int> _rank = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i);

    public QueueOrder Order { get; } = order;
    public IReadOnlyList<long> Ids { get; } = ids;
    public bool Rotate { get; } = rotate;

    /// <summary>
    /// The image's place for a labeller who starts at <paramref name="start"/> and wraps round at the end (images added
    /// since the plan was made go last).
    /// </summary>
    public long RankFrom(int start, long id) => _rank.TryGetValue(id, out var r) ? ((long)r - start + Ids.Count) % Ids.Count : long.MaxValue;
}

/// <summary>
/// Builds and caches each dataset's <see cref="QueuePlan"/>. The random order is rebuilt when images are added; the
/// uncertainty order also when labels change (at most every <see cref="UncertaintyMaxAge"/>); the diversity order
/// when images or vectors are added. Orders that need embeddings fall back to the random one without them.
/// </summary>
public sealed class QueuePriorities(IDbContextFactory<PlatformDbContext> contexts, LabelVersions versions, NeighbourLabels neighbourLabels,
    Search.SearchService search, TimeProvider clock) : IDisposable
{
    /// <summary>How many unlabelled images the uncertainty order ranks (each costs one neighbour search).</summary>
    public const int UncertaintySample = 400;

    /// <summary>How many images k-center picks in order, from how many (each pick costs a pass over the sample).</summary>
    public const int DiversityPicks = 300, DiversitySample = 6000;

    public static readonly TimeSpan UncertaintyMaxAge = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(int Dataset, QueueOrder Order), (PlanStamp Stamp, DateTimeOffset At, QueuePlan Plan)> _plans = new();
    private readonly SemaphoreSlim _buildGate = new(1, 1);

    public async Task<QueuePlan> PlanAsync(int datasetId, QueueOrder order, CancellationToken cancellationToken)
    {
        var stamp = await StampAsync(datasetId, order, cancellationToken);
        var key = (datasetId, order);
        if (_plans.TryGetValue(key, out var cached) && Fresh(cached, stamp, order))
        {
            return cached.Plan;
        }

        // One build at a time; the others meanwhile use the plan they had, if any.
        if (!await _buildGate.WaitAsync(cached.Plan is null ? Timeout.InfiniteTimeSpan : TimeSpan.Zero, cancellationToken))
        {
            return cached.Plan!;
        }

        try
        {
            if (_plans.TryGetValue(key, out cached) && Fresh(cached, stamp, order))
            {
                return cached.Plan;
            }

            var plan = await BuildAsync(datasetId, order, cancellationToken);
            _plans[key] = (stamp, clock.GetUtcNow(), plan);
            return plan;
        }
        finally
        {
            _buildGate.Release();
        }
    }

    public void Dispose() => _buildGate.Dispose();

    /// <summary>What a plan depends on: the images (count, newest id), the vectors for ranked orders, the labels for uncertainty.</summary>
    private readonly record struct PlanStamp(int Images, long Newest, int Vectors, LabelVersion? Labels)
    {
        public bool SameContent(PlanStamp other) => (Images, Newest, Vectors) == (other.Images, other.Newest, other.Vectors);
    }

    /// <summary>Unchanged, or (uncertainty only) changed labels within <see cref="UncertaintyMaxAge"/>: its ranking may lag writes a little.</summary>
    private bool Fresh((PlanStamp Stamp, DateTimeOffset At, QueuePlan Plan) cached, PlanStamp stamp, QueueOrder order) =>
        cached.Stamp == stamp || (order == QueueOrder.Uncertainty && cached.Stamp.SameContent(stamp) && clock.GetUtcNow() - cached.At < UncertaintyMaxAge);

    private async Task<PlanStamp> StampAsync(int datasetId, QueueOrder order, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var images = db.Images.Where(i => i.DatasetId == datasetId && i.NearDuplicateOfId == null);
        var count = await images.CountAsync(cancellationToken);
        var newest = await images.MaxAsync(i => (long?)i.Id, cancellationToken) ?? 0;
        var vectors = order == QueueOrder.Random ? 0 : await db.Embeddings.CountAsync(e => images.Any(i => i.Id == e.ImageId), cancellationToken);
        // Labels as every process sees them: a label given through another web process also re-ranks this one's queue.
        var labels = order == QueueOrder.Uncertainty ? await versions.CurrentAsync(datasetId, cancellationToken) : (LabelVersion?)null;
        return new PlanStamp(count, newest, vectors, labels);
    }

    private async Task<QueuePlan> BuildAsync(int datasetId, QueueOrder order, CancellationToken cancellationToken)
    {
        var random = await RandomOrderAsync(datasetId, cancellationToken);
        if (order == QueueOrder.Random || await neighbourLabels.ModelAsync(datasetId, cancellationToken) is not { } model)
        {
            return new QueuePlan(order, random, rotate: true);
        }

        var ranked = order == QueueOrder.Uncertainty
            ? await UncertainFirstAsync(datasetId, model, random, cancellationToken)
            : await DiverseFirstAsync(model, random, cancellationToken);
        if (ranked.Count == 0)
        {
            return new QueuePlan(order, random, rotate: true);
        }

        var first = ranked.ToHashSet();
        return new QueuePlan(order, [.. ranked, .. random.Where(id => !first.Contains(id))], rotate: false);
    }

    private async Task<long[]> RandomOrderAsync(int datasetId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId && i.NearDuplicateOfId == null)
            .Select(i => new { i.Id, i.SourceClassId }).ToListAsync(cancellationToken);
        return QueueOrdering.Stratified([.. rows.Select(r => (r.Id, r.SourceClassId))], QueueOrdering.Mix((ulong)datasetId));
    }

    /// <summary>Unlabelled images from the front of the random order, lowest neighbour margin first (those with no labelled neighbour are left out).</summary>
    private async Task<List<long>> UncertainFirstAsync(int datasetId, Embeddings.EmbeddingModel model, long[] random, CancellationToken cancellationToken)
    {
        var labels = await neighbourLabels.LabelsAsync(datasetId, withImport: false, cancellationToken);
        if (labels.Count == 0)
        {
            return [];
        }

        var sample = random.Where(id => !labels.ContainsKey(id)).Take(UncertaintySample).ToList();
        var vectors = await neighbourLabels.VectorsAsync(model.Id, sample, cancellationToken);
        var index = await search.GetIndexAsync(datasetId, model, cancellationToken);
        var margins = new List<(long Id, double Margin, int Place)>();
        for (var place = 0; place < sample.Count; place++)
        {
            if (!vectors.TryGetValue(sample[place], out var vector) || index.Count < 2)
            {
                continue;
            }

            var neighbours = index.Search(vector, Math.Min(64, index.Count), null, sample[place])
                .Where(h => labels.ContainsKey(h.Id)).Take(LabelSuggestions.SuggestionNeighbours).Select(h => labels[h.Id]).ToList();
            if (QueueOrdering.Margin(neighbours) is { } margin)
            {
                margins.Add((sample[place], margin, place));
            }
        }

        return [.. margins.OrderBy(m => m.Margin).ThenBy(m => m.Place).Select(m => m.Id)];
    }

    /// <summary>k-center picks over the vectors of a sample from the front of the random order.</summary>
    private async Task<List<long>> DiverseFirstAsync(Embeddings.EmbeddingModel model, long[] random, CancellationToken cancellationToken)
    {
        var vectors = await neighbourLabels.VectorsAsync(model.Id, [.. random.Take(DiversitySample)], cancellationToken);
        var ids = random.Take(DiversitySample).Where(vectors.ContainsKey).ToList();
        if (ids.Count == 0)
        {
            return [];
        }

        var dimension = vectors[ids[0]].Length;
        var matrix = new float[ids.Count * dimension];
        for (var i = 0; i < ids.Count; i++)
        {
            vectors[ids[i]].CopyTo(matrix, i * dimension);
        }

        return [.. QueueOrdering.KCenter(matrix, dimension, DiversityPicks, first: 0).Select(i => ids[i])];
    }
}
