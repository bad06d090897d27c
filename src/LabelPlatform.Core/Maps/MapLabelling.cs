using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Maps;

public sealed record MapLabelResult(int Labelled, int Unchanged, int Conflicts, IReadOnlyList<long> ConflictIds);

/// <summary>
/// "Label the N selected images as C": one reviewer decision per image through <see cref="ReviewDecisions.SetFinalAsync"/>,
/// so each is in the audit trail like a decision on the review page. Each image's decision carries the client id of
/// the action plus the image id: a resent action changes nothing, and an image whose final label changed between
/// reading and writing is a conflict, left as the other reviewer set it.
/// </summary>
public sealed class MapLabelling(IDbContextFactory<PlatformDbContext> contexts, ReviewDecisions decisions, IOptions<MapOptions> options)
{
    /// <summary>The action's client id leaves room for "-" and an image id within the 64 characters a client id may have.</summary>
    public const int MaxClientIdLength = LabelWrites.MaxClientIdLength - 21;

    public async Task<MapLabelResult> LabelAsync(int datasetId, string userId, string clientId, int classId, IReadOnlyCollection<long> imageIds, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(clientId) || clientId.Length > MaxClientIdLength)
        {
            throw new LabellingException($"a client id of 1-{MaxClientIdLength} characters is required");
        }

        var ids = imageIds.Distinct().ToList();
        if (ids.Count == 0)
        {
            throw new LabellingException("no images selected");
        }

        if (ids.Count > options.Value.MaxLabelBatch)
        {
            throw new LabellingException($"{ids.Count:N0} images selected; one action labels at most {options.Value.MaxLabelBatch:N0} (Maps:MaxLabelBatch)");
        }

        Dictionary<long, FinalLabel> finals;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.ImageClasses.AnyAsync(c => c.Id == classId && c.DatasetId == datasetId, cancellationToken))
            {
                throw new LabellingException($"class {classId} is not a class of this dataset", 404);
            }

            var inDataset = new HashSet<long>();
            foreach (var chunk in ids.Chunk(500))
            {
                inDataset.UnionWith(await db.Images.Where(i => i.DatasetId == datasetId && chunk.Contains(i.Id)).Select(i => i.Id).ToListAsync(cancellationToken));
            }

            if (ids.FirstOrDefault(id => !inDataset.Contains(id)) is var missing and not 0)
            {
                throw new LabellingException($"image {missing} is not in this dataset", 404);
            }

            finals = [];
            foreach (var chunk in ids.Chunk(500))
            {
                foreach (var f in await db.FinalLabels.AsNoTracking().Where(f => chunk.Contains(f.ImageId)).ToListAsync(cancellationToken))
                {
                    finals[f.ImageId] = f;
                }
            }
        }

        int labelled = 0, unchanged = 0;
        var conflicts = new List<long>();
        foreach (var id in ids)
        {
            var current = finals.GetValueOrDefault(id);
            if (current is { Rejected: false } && current.ClassId == classId)
            {
                unchanged++;
                continue;
            }

            try
            {
                var result = await decisions.SetFinalAsync(new ReviewRequest(datasetId, id, userId, $"{clientId}-{id}", classId, false, current?.Version), cancellationToken);
                if (result.Duplicate)
                {
                    unchanged++;
                }
                else
                {
                    labelled++;
                }
            }
            catch (LabelConflictException)
            {
                conflicts.Add(id);
            }
        }

        return new MapLabelResult(labelled, unchanged, conflicts.Count, conflicts);
    }
}
