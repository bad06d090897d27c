using System.Diagnostics;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Maps.Umap;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Maps;

public sealed record MapSummary(long JobRunId, int DatasetId, int ModelId, int Points, double LoadSeconds, UmapTimings Timings, double Seconds)
{
    public string Describe() => FormattableString.Invariant($"mapped {Points:N0} points: load {LoadSeconds:0.0} s, {Timings.Describe()}");
}

/// <summary>
/// Computes a dataset's embedding map for one model version (what the map job runs) and stores it as the cached map
/// of that pair, replacing an older one.
/// </summary>
public sealed class MapService(IDbContextFactory<PlatformDbContext> contexts, IOptions<MapOptions> options, TimeProvider clock)
{
    private const int ReadPage = 2000;

    public async Task<MapSummary> RunAsync(JobRun run, JobProgress progress, CancellationToken cancellationToken)
    {
        var parameters = JobRunService.ReadParameters<MapParameters>(run);
        var datasetId = run.DatasetId ?? throw new MapException("a map run needs a dataset");
        var watch = Stopwatch.StartNew();
        progress.SetMessage("Reading vectors");
        await progress.FlushAsync(force: true, cancellationToken);
        var (ids, vectors, dimension) = await LoadAsync(datasetId, parameters.ModelId, cancellationToken);
        var load = watch.Elapsed;
        var n = ids.Count;
        progress.SetTotal(100);

        // The projection is synchronous CPU work; progress is flushed (and Cancel noticed) from here meanwhile.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var umap = new UmapParameters { Seed = (ulong)options.Value.Seed, MaxDegreeOfParallelism = options.Value.Threads > 0 ? options.Value.Threads : Environment.ProcessorCount };
        var compute = Task.Run(() => UmapProjection.Run(vectors, n, dimension, umap, (phase, fraction) => Report(progress, phase, fraction), stop.Token), stop.Token);
        try
        {
            while (!compute.IsCompleted)
            {
                await Task.WhenAny(compute, Task.Delay(JobProgress.FlushInterval, cancellationToken));
                await progress.FlushAsync(cancellationToken: cancellationToken);
            }
        }
        catch
        {
            await stop.CancelAsync();
            await compute.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            throw;
        }

        var result = await compute;
        var xy = result.Layout;
        MapPoints.Normalise(xy);
        await StoreAsync(datasetId, parameters.ModelId, run.Id, ids, xy, result.Timings, cancellationToken);
        progress.SetCounts(100, n, 0, 0);
        return new MapSummary(run.Id, datasetId, parameters.ModelId, n, load.TotalSeconds, result.Timings, watch.Elapsed.TotalSeconds);
    }

    private static readonly string[] PhaseNames = ["PCA", "nearest neighbours", "fuzzy graph", "layout"];

    /// <summary>Progress in percent over the phases, weighted by how long each takes on 100k points (kNN and layout dominate).</summary>
    private static void Report(JobProgress progress, UmapPhase phase, double fraction)
    {
        var (start, width) = phase switch
        {
            UmapPhase.Pca => (0, 10),
            UmapPhase.Neighbours => (10, 40),
            UmapPhase.FuzzyGraph => (50, 5),
            _ => (55, 45),
        };
        progress.SetCounts((int)(start + width * Math.Clamp(fraction, 0, 1)), 0, 0, 0);
        progress.SetMessage($"Map: {PhaseNames[(int)phase]} ({fraction:P0})");
    }

    /// <summary>The dataset's vectors under the model, in image id order (the same order every time, for a seeded map).</summary>
    private async Task<(List<long> Ids, float[] Vectors, int Dimension)> LoadAsync(int datasetId, int modelId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var model = await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken)
            ?? throw new MapException($"model {modelId} is not registered");
        var count = await VectorsOf(db, datasetId, modelId).CountAsync(cancellationToken);
        if (count < 2)
        {
            throw new MapException($"the dataset has {count} vector(s) for {model.Label}: compute embeddings first");
        }

        if (count > options.Value.MaxPoints)
        {
            throw new MapException($"the dataset has {count:N0} vectors; maps are limited to Maps:MaxPoints = {options.Value.MaxPoints:N0}");
        }

        var d = model.Dimension;
        var ids = new List<long>(count);
        var vectors = new float[(long)count * d];
        long after = 0;
        while (true)
        {
            var page = await VectorsOf(db, datasetId, modelId).Where(e => e.ImageId > after).OrderBy(e => e.ImageId).Take(ReadPage)
                .Select(e => new { e.ImageId, e.Vector }).ToListAsync(cancellationToken);
            foreach (var row in page)
            {
                if (ids.Count == count)
                {
                    // Vectors added while reading wait for the next map.
                    break;
                }

                var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(row.Vector);
                if (values.Length != d)
                {
                    throw new MapException($"image {row.ImageId} has a {values.Length}-d vector; the model's are {d}-d");
                }

                values.CopyTo(vectors.AsSpan(ids.Count * d, d));
                ids.Add(row.ImageId);
            }

            if (page.Count < ReadPage || ids.Count == count)
            {
                break;
            }

            after = page[^1].ImageId;
        }

        return (ids, ids.Count == count ? vectors : vectors[..(ids.Count * d)], d);
    }

    internal static IQueryable<ImageEmbedding> VectorsOf(PlatformDbContext db, int datasetId, int modelId) =>
        db.Embeddings.Where(e => e.ModelId == modelId && db.Images.Any(i => i.Id == e.ImageId && i.DatasetId == datasetId));

    private async Task StoreAsync(int datasetId, int modelId, long runId, List<long> ids, float[] xy, UmapTimings timings, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var map = await db.EmbeddingMaps.FirstOrDefaultAsync(m => m.DatasetId == datasetId && m.ModelId == modelId, cancellationToken);
        if (map is null)
        {
            map = new EmbeddingMap { DatasetId = datasetId, ModelId = modelId, Points = [] };
            db.EmbeddingMaps.Add(map);
        }

        map.Points = MapPoints.Encode(ids, xy);
        map.PointCount = ids.Count;
        map.ComputedAt = clock.GetUtcNow();
        map.JobRunId = runId;
        map.Timings = timings.Describe();
        await db.SaveChangesAsync(cancellationToken);
    }
}
