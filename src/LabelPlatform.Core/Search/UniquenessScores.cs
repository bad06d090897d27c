using System.Collections.Concurrent;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Search;

/// <summary>
/// Uniqueness as LightlyStudio means it: an image's distance to the nearest other image of its dataset in a model's
/// embedding space (cosine distance, 1 - the best cosine similarity, so 0 for a copy and up to 2). Computed over the
/// search's exact index with <see cref="NearestOther"/> and kept in memory per (dataset, model version) until the
/// index grows or the dataset's images change (images deleted since the index loaded stay in it, so they are left
/// out here rather than counted as neighbours).
/// </summary>
public sealed class UniquenessScores(IDbContextFactory<PlatformDbContext> contexts, SearchService search)
{
    private readonly ConcurrentDictionary<(int DatasetId, int ModelId), Entry> _cache = new();

    /// <summary>Image id → distance to its nearest other image; images without a vector are absent. Fewer than two vectors: empty.</summary>
    public async Task<IReadOnlyDictionary<long, float>> DistancesAsync(int datasetId, EmbeddingModel model, CancellationToken cancellationToken = default)
    {
        var index = await search.GetIndexAsync(datasetId, model, cancellationToken);
        HashSet<long> alive;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            alive = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId).Select(i => i.Id).ToHashSetAsync(cancellationToken);
        }

        if (alive.Count == 0)
        {
            // The dataset is gone or empty (deleted through any process): keep no scores, nor the index they name.
            _cache.TryRemove((datasetId, model.Id), out _);
            return new Dictionary<long, float>();
        }

        var entry = _cache.GetOrAdd((datasetId, model.Id), _ => new Entry());
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            var stamp = new Stamp(index, index.Count, alive.Count, alive.Aggregate(0L, (h, id) => h ^ unchecked(id * -7046029254386353131L)));
            if (entry.Stamp == stamp && entry.Distances is { } cached)
            {
                return cached;
            }

            var exact = index as ExactVectorIndex ?? throw new InvalidOperationException("Uniqueness needs the exact index.");
            var rows = exact.Rows();
            var best = await Task.Run(() => NearestOther.BestScores(rows, alive.Contains, Environment.ProcessorCount, cancellationToken), cancellationToken);
            var distances = new Dictionary<long, float>(rows.Count);
            for (var r = 0; r < rows.Count; r++)
            {
                if (!float.IsNegativeInfinity(best[r]))
                {
                    distances[rows.Ids[r]] = Math.Max(0f, 1f - best[r]);
                }
            }

            (entry.Stamp, entry.Distances) = (stamp with { Count = rows.Count }, distances);
            return distances;
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Drops the cached scores of a dataset (all models), e.g. when the dataset is deleted.</summary>
    public void Forget(int datasetId)
    {
        foreach (var key in _cache.Keys.Where(k => k.DatasetId == datasetId))
        {
            _cache.TryRemove(key, out _);
        }
    }

    private sealed record Stamp(IVectorIndex Index, int Count, int Images, long IdHash);

    private sealed class Entry
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public Stamp? Stamp { get; set; }
        public Dictionary<long, float>? Distances { get; set; }
    }
}
