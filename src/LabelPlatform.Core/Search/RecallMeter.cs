namespace LabelPlatform.Core.Search;

/// <summary>How much of the exact answer an approximate index finds.</summary>
public static class RecallMeter
{
    /// <summary>
    /// Recall@k: over all queries, the share of the exact index's top-k ids that the approximate index also returns in
    /// its top k (ids found / ids expected, summed over queries, so every expected id weighs the same). A query the
    /// exact index has no answer for adds nothing. An equally scored but different id counts as a miss.
    /// </summary>
    public static double RecallAtK(IVectorIndex exact, IVectorIndex approx, IReadOnlyList<float[]> queries, int k)
    {
        ArgumentNullException.ThrowIfNull(exact);
        ArgumentNullException.ThrowIfNull(queries);
        var truth = queries.Select(q => exact.Search(q, k)).ToList();
        return RecallAtK(truth, approx, queries, k);
    }

    /// <summary>As above with the exact answers computed once (to compare several search settings against them).</summary>
    public static double RecallAtK(IReadOnlyList<IReadOnlyList<SearchHit>> truth, IVectorIndex approx, IReadOnlyList<float[]> queries, int k)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(approx);
        ArgumentNullException.ThrowIfNull(queries);
        if (queries.Count == 0)
        {
            throw new ArgumentException("At least one query is needed.", nameof(queries));
        }

        if (truth.Count != queries.Count)
        {
            throw new ArgumentException($"{queries.Count} queries but {truth.Count} exact answers.", nameof(truth));
        }

        long expected = 0, found = 0;
        for (var i = 0; i < queries.Count; i++)
        {
            var wanted = truth[i].Take(k).Select(h => h.Id).ToHashSet();
            expected += wanted.Count;
            found += approx.Search(queries[i], k).Count(h => wanted.Contains(h.Id));
        }

        return expected == 0 ? 1.0 : (double)found / expected;
    }
}
