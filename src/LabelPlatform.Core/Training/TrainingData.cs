using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Training;

/// <summary>What training may read: a split's training images, nothing of its queries or candidates.</summary>
public sealed class TrainingData(IDbContextFactory<PlatformDbContext> contexts)
{
    /// <summary>The split's training images with their current labels and base vectors; nothing else is read.</summary>
    public async Task<(long[] Ids, int[] Labels, float[] Vectors)> LoadTrainingDataAsync(int splitId, EmbeddingModel baseModel, LabelState labels, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.SplitImages.AsNoTracking().Where(s => s.SplitId == splitId && s.Role == SplitRole.Training)
            .Join(db.Embeddings.Where(e => e.ModelId == baseModel.Id), s => s.ImageId, e => e.ImageId, (s, e) => new { s.ImageId, e.Vector })
            .OrderBy(x => x.ImageId)
            .ToListAsync(cancellationToken);
        var training = await db.SplitImages.CountAsync(s => s.SplitId == splitId && s.Role == SplitRole.Training, cancellationToken);
        if (rows.Count < training)
        {
            throw new TrainingException($"{training - rows.Count} of the split's {training} training images have no {baseModel.Name} v{baseModel.Version} embedding yet: compute embeddings for the dataset first");
        }

        rows = [.. rows.Where(r => labels.ClassOf.ContainsKey(r.ImageId))];
        var vectors = new float[rows.Count * baseModel.Dimension];
        for (var i = 0; i < rows.Count; i++)
        {
            VectorCodec.FromBytes(rows[i].Vector).CopyTo(vectors.AsSpan(i * baseModel.Dimension, baseModel.Dimension));
        }

        return ([.. rows.Select(r => r.ImageId)], [.. rows.Select(r => labels.ClassOf[r.ImageId])], vectors);
    }
}
