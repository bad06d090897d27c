using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Search;

/// <summary>
/// Keeps an index in step with deletions made by any process. New vectors show by their growing ids; deleted images
/// leave no id behind, so the dataset's images up to the index's largest image id are counted (one aggregate over an
/// index, at most once per <see cref="Interval"/> per index): fewer than last time means some went, and the index is
/// rebuilt in memory from its own rows minus the gone ones (no reload from the store). The class ids are refreshed in
/// the same pass. Polling rather than LISTEN/NOTIFY: it works the same on SQLite, needs no listener connection per
/// process, and costs one query a second on the query path.
/// </summary>
internal static class IndexFreshness
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const int CopyPage = 4096;

    public static bool Due(SearchIndexEntry entry, long now) =>
        entry.ImagesCounted is null || TimeSpan.FromTicks((now - entry.CheckedAt) * TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency) >= Interval;

    /// <summary>Drops the rows of images deleted since the last check; call under the entry's gate.</summary>
    public static async Task CheckAsync(PlatformDbContext db, int datasetId, SearchIndexEntry entry, Func<int, SearchIndexes> create, CancellationToken cancellationToken)
    {
        var before = entry.CountedUpTo;
        var upTo = entry.MaxImageId;
        // One statement, so a deletion cannot fall between the count that detects it and the count it is compared with next time.
        var counts = await db.Images.Where(i => i.DatasetId == datasetId && i.Id <= upTo).GroupBy(i => i.DatasetId)
            .Select(g => new { All = g.Count(), Old = g.Sum(i => i.Id <= before ? 1 : 0) }).FirstOrDefaultAsync(cancellationToken);
        var all = counts?.All ?? 0;
        var old = counts?.Old ?? 0;
        if (entry.ImagesCounted is { } counted && old < counted)
        {
            await DropDeletedAsync(db, datasetId, entry, create, cancellationToken);
        }

        (entry.ImagesCounted, entry.CountedUpTo, entry.CheckedAt) = (all, upTo, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    private static async Task DropDeletedAsync(PlatformDbContext db, int datasetId, SearchIndexEntry entry, Func<int, SearchIndexes> create, CancellationToken cancellationToken)
    {
        var upTo = entry.MaxImageId;
        var live = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId && i.Id <= upTo)
            .Select(i => new { i.Id, i.SourceClassId }).ToDictionaryAsync(i => i.Id, i => i.SourceClassId, cancellationToken);
        var old = entry.Indexes;
        var rows = old.Exact.Rows();
        var fresh = create(rows.Dimension);
        var ids = new List<long>(CopyPage);
        var classes = new List<int?>(CopyPage);
        var vectors = new float[CopyPage * rows.Dimension];
        for (var r = 0; r < rows.Count; r++)
        {
            if (!live.TryGetValue(rows.Ids[r], out var classId))
            {
                continue;
            }

            rows.Row(r).CopyTo(vectors.AsSpan(ids.Count * rows.Dimension, rows.Dimension));
            ids.Add(rows.Ids[r]);
            classes.Add(classId);
            if (ids.Count == CopyPage)
            {
                Flush(fresh, ids, classes, vectors, rows.Dimension);
            }
        }

        Flush(fresh, ids, classes, vectors, rows.Dimension);
        entry.Indexes = fresh;
        // The HNSW index checks for disposal under its own lock, so a search still holding it fails cleanly.
        old.Ann?.Dispose();
    }

    private static void Flush(SearchIndexes target, List<long> ids, List<int?> classes, float[] vectors, int dimension)
    {
        if (ids.Count == 0)
        {
            return;
        }

        var span = vectors.AsSpan(0, ids.Count * dimension);
        target.Exact.AddRange(ids.ToArray(), classes.ToArray(), span);
        target.Ann?.AddRange(ids.ToArray(), classes.ToArray(), span);
        ids.Clear();
        classes.Clear();
    }

    /// <summary>The keys among <paramref name="keys"/> whose dataset or model no longer exists (deleted by any process).</summary>
    public static async Task<List<(int DatasetId, int ModelId)>> GoneAsync(PlatformDbContext db, IReadOnlyCollection<(int DatasetId, int ModelId)> keys, CancellationToken cancellationToken)
    {
        var datasetIds = keys.Select(k => k.DatasetId).Distinct().ToList();
        var modelIds = keys.Select(k => k.ModelId).Distinct().ToList();
        var datasets = (await db.Datasets.Where(d => datasetIds.Contains(d.Id)).Select(d => d.Id).ToListAsync(cancellationToken)).ToHashSet();
        var models = (await db.EmbeddingModels.Where(m => modelIds.Contains(m.Id)).Select(m => m.Id).ToListAsync(cancellationToken)).ToHashSet();
        return [.. keys.Where(k => !datasets.Contains(k.DatasetId) || !models.Contains(k.ModelId))];
    }
}
