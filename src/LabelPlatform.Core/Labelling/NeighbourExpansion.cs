using LabelPlatform.Core.Search;

namespace LabelPlatform.Core.Labelling;

/// <summary>Grid labelling's expansion: more images like a seed, leased to the labeller.</summary>
public sealed class NeighbourExpansion(NeighbourLabels neighbourLabels, SearchService search, LabelLeases leases)
{
    /// <summary>
    /// Grid expansion: the seed's nearest images, most similar first, that still need a vote from this labeller
    /// (no vote of theirs, no final label, fewer votes and other labellers' leases than the overlap), leased to them
    /// like the images of the queue.
    /// </summary>
    public async Task<List<long>> ExpandAsync(int datasetId, long seedId, string userId, int count, CancellationToken cancellationToken = default)
    {
        var model = await neighbourLabels.ModelAsync(datasetId, cancellationToken);
        if (model is null)
        {
            return [];
        }

        var index = await search.GetIndexAsync(datasetId, model, cancellationToken);
        var vectors = await neighbourLabels.VectorsAsync(model.Id, [seedId], cancellationToken);
        if (!vectors.TryGetValue(seedId, out var vector) || index.Count == 0)
        {
            return [];
        }

        var result = new List<long>();
        for (var depth = Math.Min(count * 4, index.Count); result.Count < count; depth = Math.Min(depth * 4, index.Count))
        {
            var hits = index.Search(vector, Math.Min(depth, VectorIndexLimits.MaxK), null, null).Select(h => h.Id).ToList();
            // A few spare candidates: one taken by someone else between this read and the lease is replaced, not lost.
            result = [.. (await leases.WithSlotAsync(datasetId, userId, hits, cancellationToken)).Take(count * 2)];
            if (result.Count >= count || depth >= index.Count || depth >= VectorIndexLimits.MaxK)
            {
                break;
            }
        }

        return [.. await leases.LeaseAsync(datasetId, userId, result, count, cancellationToken)];
    }
}
