namespace LabelPlatform.Core.Search;

/// <summary>One search result. <paramref name="Score"/> is the cosine similarity (the dot product of unit vectors).</summary>
public readonly record struct SearchHit(long Id, float Score, int? ClassId);

/// <summary>
/// An in-memory nearest-neighbour index over L2-normalised float32 embeddings of one (dataset, model) pair.
/// Implementations are safe for concurrent <see cref="Search"/> calls while vectors are being added.
/// </summary>
public interface IVectorIndex
{
    /// <summary>Length of every stored and query vector.</summary>
    int Dimension { get; }

    /// <summary>Number of vectors stored (and visible to searches) at the time of the call.</summary>
    int Count { get; }

    /// <summary>
    /// The <paramref name="k"/> stored vectors most similar to <paramref name="query"/> (a unit vector of length
    /// <see cref="Dimension"/>), best first, equal scores ordered by lower id. Fewer than k come back when fewer match.
    /// </summary>
    /// <param name="classId">When set, only vectors stored with this class id are considered.</param>
    /// <param name="excludeId">When set, the vector with this id is never returned (a stored image asked about itself).</param>
    /// <exception cref="ArgumentException">k outside 1..<see cref="VectorIndexLimits.MaxK"/> or a query of the wrong length.</exception>
    IReadOnlyList<SearchHit> Search(ReadOnlySpan<float> query, int k, int? classId = null, long? excludeId = null);
}

/// <summary>Argument checks shared by the index implementations, so both fail the same way.</summary>
public static class VectorIndexLimits
{
    /// <summary>Largest k a search accepts: result lists are for people, and the exact scan keeps k entries per worker.</summary>
    public const int MaxK = 10_000;

    /// <summary>Stored as "no class"; refused as a real class id so it can never be confused with one.</summary>
    internal const int NoClass = int.MinValue;

    internal static void CheckQuery(ReadOnlySpan<float> query, int k, int dimension, int? classId)
    {
        if (query.Length != dimension)
        {
            throw new ArgumentException($"The query has {query.Length} values but the index holds {dimension}-dimensional vectors.", nameof(query));
        }

        if (k is < 1 or > MaxK)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and {MaxK}.");
        }

        CheckClass(classId, nameof(classId));
    }

    internal static void CheckVector(ReadOnlySpan<float> vector, int dimension, string parameter)
    {
        if (vector.Length != dimension)
        {
            throw new ArgumentException($"The vector has {vector.Length} values but the index holds {dimension}-dimensional vectors.", parameter);
        }
    }

    internal static void CheckClass(int? classId, string parameter)
    {
        if (classId == NoClass)
        {
            throw new ArgumentOutOfRangeException(parameter, classId, $"Class id {NoClass} is reserved.");
        }
    }

    internal static void CheckDimension(int dimension)
    {
        if (dimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be at least 1.");
        }
    }
}
