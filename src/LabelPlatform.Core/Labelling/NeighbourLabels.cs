using System.Collections.Concurrent;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>
/// What nearest-neighbour hints (suggestions, expansion, queue orders, review queues) are computed from: the dataset's
/// model, its images' vectors, and the labels neighbours vote with: human labels, plus import labels where asked,
/// cached until the next labelling write in any process (<see cref="LabelVersions"/>, checked at most once per
/// <see cref="LabelCacheMaxAge"/>).
/// </summary>
public sealed class NeighbourLabels(
    IDbContextFactory<PlatformDbContext> contexts,
    ModelRegistry models,
    GroundTruthService groundTruth,
    LabelVersions versions,
    LabellingSettingsService labellingSettings,
    TimeProvider clock) : IDisposable
{
    /// <summary>
    /// Neighbour labels are rebuilt after a write, but at most once a second under a stream of writes, and the version
    /// is asked for at most once a second: a label given through another web process shows in hints here within about
    /// a second (the scale-out promise is two).
    /// </summary>
    public static readonly TimeSpan LabelCacheMaxAge = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(int Dataset, bool WithImport), (LabelVersion Version, DateTimeOffset At, Dictionary<long, int> Labels)> _labels = new();
    private readonly ConcurrentDictionary<int, (DateTimeOffset At, int? ModelId)> _models = new();
    private readonly SemaphoreSlim _rebuildGate = new(1, 1);

    /// <summary>The model used for neighbours: the dataset's setting, else the one with most vectors of its images.</summary>
    public async Task<EmbeddingModel?> ModelAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        var settings = await labellingSettings.GetSettingsAsync(datasetId, cancellationToken);
        if (settings.ModelId is { } chosen)
        {
            return await models.FindByIdAsync(chosen, cancellationToken);
        }

        var now = clock.GetUtcNow();
        if (_models.TryGetValue(datasetId, out var cached) && now - cached.At <= TimeSpan.FromMinutes(1))
        {
            // A model named here may have been deleted since, by another process too: then choose again now.
            if (cached.ModelId is not { } id)
            {
                return null;
            }

            if (await models.FindByIdAsync(id, cancellationToken) is { } model)
            {
                return model;
            }
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var best = await db.Embeddings.Join(db.Images.Where(i => i.DatasetId == datasetId), e => e.ImageId, i => i.Id, (e, i) => e.ModelId)
            .GroupBy(m => m).OrderByDescending(g => g.Count()).Select(g => (int?)g.Key).FirstOrDefaultAsync(cancellationToken);
        _models[datasetId] = (now, best);
        return best is { } chosenNow ? await models.FindByIdAsync(chosenNow, cancellationToken) : null;
    }

    /// <summary>
    /// The labels neighbours vote with: human labels (a reviewer's decision, a consensus, or labellers who agree), plus
    /// the import labels when <paramref name="withImport"/>. What labellers are shown uses import labels only where
    /// the dataset's settings show them: otherwise a suggestion drawn from neighbours' import labels would put the
    /// import label in front of the labeller at near 100% and their label would echo it.
    /// </summary>
    internal async Task<Dictionary<long, int>> LabelsAsync(int datasetId, bool withImport, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var key = (datasetId, withImport);
        if (_labels.TryGetValue(key, out var cached) && now - cached.At < LabelCacheMaxAge)
        {
            return cached.Labels;
        }

        var version = await versions.CurrentAsync(datasetId, cancellationToken);
        if (cached.Labels is not null && cached.Version == version)
        {
            // Nothing written anywhere since: good for another interval without asking again.
            _labels.TryUpdate(key, (version, now, cached.Labels), cached);
            return cached.Labels;
        }

        // One rebuild at a time: when the cache lapses under load, the others use the labels they had (hints may be
        // a moment behind) instead of each loading the whole dataset's labels or queueing behind the one who does.
        if (!await _rebuildGate.WaitAsync(0, cancellationToken))
        {
            if (cached.Labels is not null)
            {
                return cached.Labels;
            }

            await _rebuildGate.WaitAsync(cancellationToken);
        }

        try
        {
            if (_labels.TryGetValue(key, out cached) && (cached.Version == version || clock.GetUtcNow() - cached.At < LabelCacheMaxAge))
            {
                return cached.Labels;
            }

            return await RebuildLabelsAsync(datasetId, withImport, version, now, cancellationToken);
        }
        finally
        {
            _rebuildGate.Release();
        }
    }

    private async Task<Dictionary<long, int>> RebuildLabelsAsync(int datasetId, bool withImport, LabelVersion version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var labels = withImport ? new Dictionary<long, int>((await groundTruth.CurrentAsync(datasetId, cancellationToken)).ClassOf) : [];
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var board = await LabelBoard.LoadAsync(db, datasetId, cancellationToken);
            foreach (var image in board.Images.Values)
            {
                // The ground truth already holds decided labels (with import labels shown); without them, add them here.
                var label = image.Decided ?? Unanimous(image);
                if (label is { ClassId: { } c, Rejected: false } && (image.Decided is null || !withImport))
                {
                    labels[image.ImageId] = c;
                }
            }
        }

        _labels[(datasetId, withImport)] = (version, now, labels);
        return labels;
    }

    internal async Task<Dictionary<long, float[]>> VectorsAsync(int modelId, IReadOnlyList<long> imageIds, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = new Dictionary<long, float[]>();
        foreach (var chunk in imageIds.Chunk(500))
        {
            var rows = await db.Embeddings.AsNoTracking().Where(e => e.ModelId == modelId && chunk.Contains(e.ImageId)).Select(e => new { e.ImageId, e.Vector }).ToListAsync(cancellationToken);
            foreach (var r in rows)
            {
                result[r.ImageId] = VectorCodec.FromBytes(r.Vector);
            }
        }

        return result;
    }

    /// <summary>The image's votes' value when they all agree.</summary>
    internal static LabelValue? Unanimous(ImageLabels image) =>
        image.Votes.Count > 0 && image.Votes.All(v => v.Value == image.Votes[0].Value) ? image.Votes[0].Value : null;

    public void Dispose() => _rebuildGate.Dispose();
}
