using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Images;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Search;

public sealed class SearchOptions
{
    public const string Section = "Search";

    /// <summary>Largest k the page and the API accept.</summary>
    [Range(1, VectorIndexLimits.MaxK)]
    public int MaxK { get; set; } = 100;

    /// <summary>Also keep a USearch HNSW index per (dataset, model) for approximate queries (twice the memory).</summary>
    public bool Ann { get; set; }

    /// <summary>Threads one search (exact scan or HNSW build) may use; validated so a bad setting fails at start-up.</summary>
    [Range(1, 256)]
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;
}

/// <summary>A query: a stored image of the dataset ("more like this") or the bytes of an uploaded image.</summary>
public sealed record SearchQuery
{
    public required int DatasetId { get; init; }
    public required EmbeddingModel Model { get; init; }
    public int K { get; init; } = 10;

    /// <summary>Only results whose import label is this class.</summary>
    public int? ClassId { get; init; }

    /// <summary>Only these images (e.g. those whose current, human-decided label is a class); null allows all.</summary>
    public IReadOnlySet<long>? OnlyImageIds { get; init; }

    public long? ImageId { get; init; }
    public byte[]? ImageBytes { get; init; }

    /// <summary>For a stored image: whether it may appear in its own results (it would be first).</summary>
    public bool IncludeSelf { get; init; }

    /// <summary>Use the HNSW index instead of the exact scan (needs Search:Ann).</summary>
    public bool Approximate { get; init; }
}

public sealed record SearchResultItem(long ImageId, float Score, string? ClassName, string Origin, string Sha256, string Format);

public sealed record SearchResponse(string Dataset, string Model, int ModelVersion, int K, int IndexSize, double Milliseconds, long? QueryImageId, IReadOnlyList<SearchResultItem> Results, bool Approximate = false)
{
    /// <summary>int8 or float (see <see cref="Embeddings.ExecutionPaths"/>).</summary>
    public string? ExecutionPath { get; init; }
}

/// <summary>A query that cannot be answered; <see cref="Status"/> is the HTTP status it maps to (400 or 404).</summary>
public sealed class SearchException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Query-by-image over pre-computed embeddings: one in-memory exact index per (dataset, model version), loaded from the
/// store on first use and brought up to date before every query by reading the embeddings stored since (their ids
/// only grow), so images embedded by a running job become searchable without a restart.
/// </summary>
public sealed class SearchService(
    IDbContextFactory<PlatformDbContext> contexts,
    ImageValidator validator,
    ImageStore store,
    ImagePreprocessor preprocessor,
    OnnxEmbedder embedder,
    QueryBatcher batcher,
    IOptions<SearchOptions> options) : IDisposable
{
    /// <summary>How often indexes whose dataset or model another process deleted are looked for and dropped.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<(int DatasetId, int ModelId), Lazy<SearchIndexEntry>> _indexes = new();
    private long _sweptAt = Stopwatch.GetTimestamp();
    private int _sweeping;

    public int MaxK => options.Value.MaxK;

    public async Task<SearchResponse> SearchAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        if (query.K < 1 || query.K > options.Value.MaxK)
        {
            throw new SearchException($"k must be between 1 and {options.Value.MaxK}");
        }

        var clock = Stopwatch.StartNew();
        string datasetName;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            datasetName = await db.Datasets.Where(d => d.Id == query.DatasetId).Select(d => d.Name).FirstOrDefaultAsync(cancellationToken)
                ?? throw new SearchException($"dataset {query.DatasetId} does not exist", 404);
            if (query.ClassId is { } classId && !await db.ImageClasses.AnyAsync(c => c.Id == classId && c.DatasetId == query.DatasetId, cancellationToken))
            {
                throw new SearchException($"class {classId} is not a class of dataset {datasetName}", 404);
            }
        }

        if (query.Approximate && !options.Value.Ann)
        {
            throw new SearchException("approximate search is turned off on this server (Search:Ann)");
        }

        var vector = await QueryVectorAsync(query, cancellationToken);
        var entry = await SyncAsync(query.DatasetId, query.Model, cancellationToken);
        var indexes = entry.Indexes;
        IVectorIndex index = query.Approximate ? indexes.Ann! : indexes.Exact;
        var exclude = query.ImageId is { } self && !query.IncludeSelf ? self : (long?)null;
        var hits = query.OnlyImageIds is { } only ? SearchAmong(index, vector, query, only, exclude) : index.Search(vector, query.K, query.ClassId, exclude);
        var results = await DescribeAsync(hits, cancellationToken);
        return new SearchResponse(datasetName, query.Model.Name, query.Model.Version, query.K, index.Count, clock.Elapsed.TotalMilliseconds, query.ImageId, results, query.Approximate)
        {
            ExecutionPath = query.Model.ExecutionPath,
        };
    }

    /// <summary>
    /// The best <see cref="SearchQuery.K"/> hits among <paramref name="only"/>: the index does not know that set, so
    /// ever more neighbours are asked for (doubling) until K of them are in it or the whole index (up to the largest
    /// k a search takes) was looked at.
    /// </summary>
    private static List<SearchHit> SearchAmong(IVectorIndex index, float[] vector, SearchQuery query, IReadOnlySet<long> only, long? exclude)
    {
        var limit = Math.Min(index.Count, VectorIndexLimits.MaxK);
        if (limit == 0 || only.Count == 0)
        {
            return [];
        }

        var k = Math.Min(limit, Math.Max(query.K * 8, 256));
        while (true)
        {
            var found = index.Search(vector, k, query.ClassId, exclude).Where(h => only.Contains(h.Id)).Take(query.K).ToList();
            if (found.Count == query.K || k == limit)
            {
                return found;
            }

            k = Math.Min(limit, k * 2);
        }
    }

    /// <summary>
    /// The dataset's exact index for the model, for labelling hints (suggestions, neighbours): up to date with every
    /// embedding stored so far, except while another caller is adding new vectors to an index already loaded: then the
    /// index as it stands, a few vectors behind, rather than a wait behind that load (an embedding job adds vectors
    /// all the time, and labellers should not feel it).
    /// </summary>
    public async Task<IVectorIndex> GetIndexAsync(int datasetId, EmbeddingModel model, CancellationToken cancellationToken) =>
        (await SyncAsync(datasetId, model, cancellationToken, mayLag: true)).Exact;

    private SearchIndexes CreateIndexes(int dimension) => new(
        new ExactVectorIndex(dimension) { MaxDegreeOfParallelism = options.Value.MaxDegreeOfParallelism },
        options.Value.Ann ? new AnnVectorIndex(dimension, new AnnIndexOptions { Threads = options.Value.MaxDegreeOfParallelism }) : null);

    private async Task<SearchIndexEntry> SyncAsync(int datasetId, EmbeddingModel model, CancellationToken cancellationToken, bool mayLag = false)
    {
        await SweepAsync(cancellationToken);
        // Lazy: GetOrAdd may run its factory twice under a race, and a native HNSW index must not be built and dropped.
        var entry = _indexes.GetOrAdd((datasetId, model.Id), _ => new Lazy<SearchIndexEntry>(() => new SearchIndexEntry(CreateIndexes(model.Dimension)))).Value;
        if (!await entry.Gate.WaitAsync(0, cancellationToken))
        {
            if (mayLag && Volatile.Read(ref entry.LastEmbeddingId) > 0)
            {
                return entry;
            }

            await entry.Gate.WaitAsync(cancellationToken);
        }

        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            if (entry.LastEmbeddingId > 0 && IndexFreshness.Due(entry, Stopwatch.GetTimestamp()))
            {
                // Images deleted through any process leave the index (and its results) within a second.
                await IndexFreshness.CheckAsync(db, datasetId, entry, CreateIndexes, cancellationToken);
            }

            while (true)
            {
                if (await EmbeddingPageReader.ReadAsync(db, datasetId, model.Id, model.Dimension, entry.LastEmbeddingId, cancellationToken) is not { } page)
                {
                    break;
                }

                var (ids, classes, vectors) = (page.ImageIds, page.Classes, page.Vectors);
                var indexes = entry.Indexes;
                indexes.Exact.AddRange(ids, classes, vectors);
                indexes.Ann?.AddRange(ids, classes, vectors);
                entry.MaxImageId = Math.Max(entry.MaxImageId, ids.Max());
                Volatile.Write(ref entry.LastEmbeddingId, page.LastEmbeddingId);
            }
        }
        finally
        {
            entry.Gate.Release();
        }

        return entry;
    }

    /// <summary>Embeds an uploaded image (validated like any ingested file first).</summary>
    public async Task<float[]> EmbedUploadAsync(byte[] bytes, EmbeddingModel model, CancellationToken cancellationToken)
    {
        var check = validator.Check(bytes);
        if (!check.Accepted)
        {
            throw new SearchException($"the query image was refused: {check.RejectionReason}");
        }

        var input = new float[ImagePreprocessor.InputLength(model.Preprocessing)];
        preprocessor.Fill(bytes, model.Preprocessing, input);
        return await batcher.EmbedAsync(model, input, cancellationToken) ?? throw new SearchException("the model returned an empty vector for the query image");
    }

    private async Task<float[]> QueryVectorAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        if ((query.ImageId is null) == (query.ImageBytes is null))
        {
            throw new SearchException("give either an image id or an image file");
        }

        if (query.ImageBytes is { } bytes)
        {
            return await EmbedUploadAsync(bytes, query.Model, cancellationToken);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var image = await db.Images.AsNoTracking().Where(i => i.Id == query.ImageId && i.DatasetId == query.DatasetId)
            .Select(i => new { i.Id, i.Sha256, i.Format }).FirstOrDefaultAsync(cancellationToken)
            ?? throw new SearchException($"image {query.ImageId} is not in this dataset", 404);
        var stored = await db.Embeddings.Where(e => e.ImageId == image.Id && e.ModelId == query.Model.Id).Select(e => e.Vector).FirstOrDefaultAsync(cancellationToken);
        if (stored is not null)
        {
            return VectorCodec.FromBytes(stored);
        }

        // Not embedded yet (its job is still running, or never started): compute it now from the stored file.
        var input = new float[ImagePreprocessor.InputLength(query.Model.Preprocessing)];
        preprocessor.Fill(await store.ReadOriginalAsync(image.Sha256, image.Format, cancellationToken), query.Model.Preprocessing, input);
        return (await embedder.EmbedAsync(query.Model, input, 1, cancellationToken))[0]
            ?? throw new SearchException($"the model returned an empty vector for image {image.Id}");
    }

    private async Task<List<SearchResultItem>> DescribeAsync(IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
    {
        var ids = hits.Select(h => h.Id).ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var images = await db.Images.AsNoTracking().Where(i => ids.Contains(i.Id))
            .Select(i => new { i.Id, ClassName = i.SourceClass != null ? i.SourceClass.Name : null, i.Origin, i.Sha256, i.Format })
            .ToDictionaryAsync(i => i.Id, cancellationToken);
        return [.. hits.Where(h => images.ContainsKey(h.Id)).Select(h =>
        {
            var i = images[h.Id];
            return new SearchResultItem(h.Id, h.Score, i.ClassName, i.Origin, i.Sha256, i.Format);
        })];
    }

    /// <summary>
    /// Drops the indexes whose dataset or model is gone: <see cref="Forget"/> runs only in the process that deleted,
    /// and another web process would otherwise keep the vectors (gigabytes at a million) until it restarted. One
    /// caller at a time, at most every <see cref="SweepInterval"/>.
    /// </summary>
    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        if (_indexes.IsEmpty || Stopwatch.GetElapsedTime(Interlocked.Read(ref _sweptAt)) < SweepInterval || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            foreach (var (datasetId, modelId) in await IndexFreshness.GoneAsync(db, [.. _indexes.Keys], cancellationToken))
            {
                Forget(datasetId, modelId);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _sweptAt, Stopwatch.GetTimestamp());
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>
    /// Drops the in-memory indexes of a dataset (every model, or one): after a dataset or model is deleted its
    /// vectors must not linger in memory or in results. A later query loads afresh from the store.
    /// </summary>
    public void Forget(int? datasetId, int? modelId = null)
    {
        foreach (var key in _indexes.Keys.Where(k => (datasetId is null || k.DatasetId == datasetId) && (modelId is null || k.ModelId == modelId)))
        {
            if (_indexes.TryRemove(key, out var entry) && entry.IsValueCreated)
            {
                // The HNSW index checks for disposal under its own lock, so a search still holding it fails cleanly.
                entry.Value.Ann?.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var entry in _indexes.Values.Where(e => e.IsValueCreated))
        {
            entry.Value.Ann?.Dispose();
        }
    }
}
