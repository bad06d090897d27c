using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Maps;

/// <summary>A class as the map names it; <see cref="Index"/> is what the label arrays hold.</summary>
public sealed record MapClass(int Index, int Id, string Name, bool Noise);

/// <summary>
/// Everything the map page draws, as parallel arrays (compact enough for 100k points): ids, coordinates scaled to
/// 0..<see cref="MapView.Scale"/>, and per label source the class index of each point, or one of the
/// <see cref="MapView.None"/>, <see cref="MapView.Rejected"/>, <see cref="MapView.NoiseWithoutClass"/> codes.
/// </summary>
public sealed record MapData(
    int DatasetId, int ModelId, string Model, DateTimeOffset ComputedAt, int PointCount, int VectorsNow, string? Timings,
    IReadOnlyList<MapClass> Classes, long[] Ids, int[] X, int[] Y, int[]? Import, int[] Consensus, int[] Final);

/// <summary>Reads a stored map and joins it with the labels the viewer may see.</summary>
public sealed class MapView(IDbContextFactory<PlatformDbContext> contexts)
{
    public const int Scale = 10_000;
    public const int None = -1, Rejected = -2, NoiseWithoutClass = -3;

    /// <summary>The model of the dataset's newest map, or null when it has none.</summary>
    public async Task<int?> NewestModelAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.EmbeddingMaps.Where(m => m.DatasetId == datasetId).OrderByDescending(m => m.ComputedAt).Select(m => (int?)m.ModelId).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// The map of the dataset under the model, or null when none was computed. Import labels (the folders) are left
    /// out unless <paramref name="withImportLabels"/>: a labeller must not learn them here either.
    /// </summary>
    public async Task<MapData?> LoadAsync(int datasetId, int modelId, bool withImportLabels, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var map = await db.EmbeddingMaps.AsNoTracking().FirstOrDefaultAsync(m => m.DatasetId == datasetId && m.ModelId == modelId, cancellationToken);
        if (map is null)
        {
            return null;
        }

        var model = await db.EmbeddingModels.AsNoTracking().FirstAsync(m => m.Id == modelId, cancellationToken);
        var vectorsNow = await MapService.VectorsOf(db, datasetId, modelId).CountAsync(cancellationToken);
        var classes = await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).OrderBy(c => c.Name).ThenBy(c => c.Id)
            .Select(c => new { c.Id, c.Name, c.IsNoise }).ToListAsync(cancellationToken);
        var mapClasses = classes.Select((c, i) => new MapClass(i, c.Id, c.Name, c.IsNoise)).ToList();
        var index = mapClasses.ToDictionary(c => c.Id, c => c.Index);

        var (ids, x, y) = MapPoints.Decode(map.Points);
        // Images deleted since the map was computed are dropped from it.
        var present = (await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId).Select(i => new { i.Id, i.SourceClassId }).ToListAsync(cancellationToken))
            .ToDictionary(i => i.Id, i => i.SourceClassId);
        var keep = Enumerable.Range(0, ids.Length).Where(i => present.ContainsKey(ids[i])).ToArray();
        var board = await LabelBoard.LoadAsync(db, datasetId, cancellationToken);
        int Code(LabelValue? value) => value switch
        {
            null => None,
            { Rejected: true } => Rejected,
            { ClassId: { } c } => index.GetValueOrDefault(c, None),
            _ => NoiseWithoutClass,
        };

        return new MapData(datasetId, modelId, model.Label, map.ComputedAt, map.PointCount, vectorsNow, map.Timings, mapClasses,
            [.. keep.Select(i => ids[i])],
            [.. keep.Select(i => (int)MathF.Round(x[i] * Scale))],
            [.. keep.Select(i => (int)MathF.Round(y[i] * Scale))],
            withImportLabels ? [.. keep.Select(i => present[ids[i]] is { } c ? index.GetValueOrDefault(c, None) : None)] : null,
            [.. keep.Select(i => Code(board.Images.GetValueOrDefault(ids[i])?.Consensus))],
            [.. keep.Select(i => Code(board.Images.GetValueOrDefault(ids[i])?.Final))]);
    }
}
