namespace LabelPlatform.Core.Search;

/// <summary>The exact index of one (dataset, model version), and its HNSW twin where Search:Ann keeps one.</summary>
internal sealed record SearchIndexes(ExactVectorIndex Exact, AnnVectorIndex? Ann);

/// <summary>
/// One (dataset, model version)'s in-memory indexes and how far they are in step with the store: the newest embedding
/// id read (new vectors are read past it) and, for deletions, which the ids cannot show, the image count seen at the
/// last check (<see cref="IndexFreshness"/>).
/// </summary>
internal sealed class SearchIndexEntry(SearchIndexes indexes)
{
    private SearchIndexes _indexes = indexes;

    /// <summary>Swapped whole when deleted images are dropped: a search holds the pair it started with.</summary>
    public SearchIndexes Indexes
    {
        get => Volatile.Read(ref _indexes);
        set => Volatile.Write(ref _indexes, value);
    }

    public ExactVectorIndex Exact => Indexes.Exact;

    public AnnVectorIndex? Ann => Indexes.Ann;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Written under <see cref="Gate"/>; read without it (volatile) to tell a loaded index from a new one.</summary>
    public long LastEmbeddingId;

    // The rest is read and written under Gate only.

    /// <summary>The largest image id in the index: deletions are counted among images up to it.</summary>
    public long MaxImageId { get; set; }

    /// <summary>The dataset's images with id up to <see cref="CountedUpTo"/> at the last check (null: never checked).</summary>
    public int? ImagesCounted { get; set; }

    public long CountedUpTo { get; set; }

    public long CheckedAt { get; set; }
}
