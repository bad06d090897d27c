using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Search;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Review;

/// <summary>
/// One nearest image with the label it stands under: <see cref="Source"/> is "review" (a reviewer's final label),
/// "consensus" (the labellers' majority), "votes" (votes so far, all agreeing), "import" (its folder) or "none".
/// </summary>
public sealed record NeighbourLabel(long ImageId, float Score, string? Label, string Source);

/// <summary>What the reviewer sees beside an image: its nearest images and their current labels, human ones first.</summary>
public sealed class ReviewNeighbours(IDbContextFactory<PlatformDbContext> contexts, SearchService search, NeighbourLabels neighbourLabels, LabelNames labelNames)
{
    public const int MaxK = 24;

    /// <summary>Null when the dataset has no embeddings; empty when this image has no vector yet (nothing is computed here).</summary>
    public async Task<IReadOnlyList<NeighbourLabel>?> FindAsync(int datasetId, long imageId, int k, CancellationToken cancellationToken = default)
    {
        var model = await neighbourLabels.ModelAsync(datasetId, cancellationToken);
        if (model is null)
        {
            return null;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Images.AnyAsync(i => i.Id == imageId && i.DatasetId == datasetId, cancellationToken))
        {
            throw new LabellingException($"image {imageId} is not in this dataset", 404);
        }

        var stored = await db.Embeddings.AsNoTracking().Where(e => e.ImageId == imageId && e.ModelId == model.Id).Select(e => e.Vector).FirstOrDefaultAsync(cancellationToken);
        var index = await search.GetIndexAsync(datasetId, model, cancellationToken);
        if (stored is null || index.Count < 2)
        {
            return [];
        }

        var hits = index.Search(VectorCodec.FromBytes(stored), Math.Clamp(k, 1, Math.Min(MaxK, index.Count)), null, imageId);
        var ids = hits.Select(h => h.Id).ToList();
        var names = await labelNames.ClassNamesAsync(datasetId, cancellationToken);
        var imported = await db.Images.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, i => i.SourceClassId, cancellationToken);
        var finals = await db.FinalLabels.AsNoTracking().Where(f => ids.Contains(f.ImageId)).ToDictionaryAsync(f => f.ImageId, cancellationToken);
        var votes = (await db.LabelVotes.AsNoTracking().Where(v => ids.Contains(v.ImageId) && v.Kind != LabelEventKind.Skip).Select(v => new { v.ImageId, v.Kind, v.ClassId }).ToListAsync(cancellationToken))
            .ToLookup(v => v.ImageId, v => LabelValue.FromVote(v.Kind, v.ClassId)).ToDictionary(g => g.Key, g => g.OfType<LabelValue>().ToList());
        var overlap = await OverlapAsync(db, datasetId, cancellationToken);
        return [.. hits.Select(h =>
        {
            if (finals.TryGetValue(h.Id, out var f))
            {
                return new NeighbourLabel(h.Id, h.Score, LabelNames.Describe(new LabelValue(f.ClassId, f.Rejected), names), "review");
            }

            var cast = votes.GetValueOrDefault(h.Id) ?? [];
            if (Agreement.Consensus(cast, overlap) is { } consensus)
            {
                return new NeighbourLabel(h.Id, h.Score, LabelNames.Describe(consensus, names), "consensus");
            }

            if (cast.Count > 0 && cast.All(v => v == cast[0]))
            {
                return new NeighbourLabel(h.Id, h.Score, LabelNames.Describe(cast[0], names), "votes");
            }

            return imported.GetValueOrDefault(h.Id) is { } c
                ? new NeighbourLabel(h.Id, h.Score, names.GetValueOrDefault(c, "?"), "import")
                : new NeighbourLabel(h.Id, h.Score, null, "none");
        })];
    }

    private static async Task<int> OverlapAsync(PlatformDbContext db, int datasetId, CancellationToken cancellationToken) =>
        await db.LabellingSettings.Where(s => s.DatasetId == datasetId).Select(s => (int?)s.Overlap).FirstOrDefaultAsync(cancellationToken) ?? LabellingSettings.DefaultOverlap;
}
