namespace LabelPlatform.Core.Evaluation;

/// <summary>One query's figures at one cut-off K.</summary>
public readonly record struct MetricsAtK(
    int K,
    double Precision,
    double Recall,
    double AveragePrecision,
    double AveragePrecisionNotebook,
    double Ndcg);

/// <summary>One query's figures: at each cut-off, and over the full ranking.</summary>
public sealed record QueryMetrics(IReadOnlyList<MetricsAtK> AtK, double AveragePrecision, double ReciprocalRank, int Relevant);

/// <summary>
/// Binary-relevance ranking metrics, computed from the 1-based ranks of a query's relevant results in its full
/// ranking. Definitions follow trec_eval (and ranx, which reproduces it):
/// <list type="bullet">
/// <item>P@K = relevant in the top K / K (K, not the list length, even when fewer than K results exist).</item>
/// <item>R@K = relevant in the top K / all relevant.</item>
/// <item>AP@K (trec_eval map_cut_K, ranx "map@k") = sum over relevant ranks r ≤ K of precision at r, / all relevant.</item>
/// <item>AP@K, notebook variant (the seed article's) = the same sum / K.</item>
/// <item>nDCG@K with gain 1 and discount 1/log2(rank + 1); the ideal ranking puts min(all relevant, K) first.</item>
/// <item>AP (full ranking, for mAP) = sum over all relevant ranks of precision there / all relevant; RR = 1 / first relevant rank.</item>
/// </list>
/// A query with no relevant result scores 0 everywhere; callers leave such queries out of means (and say so).
/// </summary>
public static class RankingMetrics
{
    /// <param name="relevantRanks">1-based ranks of the relevant results, ascending, no repeats.</param>
    /// <param name="ks">Cut-offs, each at least 1.</param>
    public static QueryMetrics Compute(ReadOnlySpan<int> relevantRanks, IReadOnlyList<int> ks)
    {
        var relevant = relevantRanks.Length;
        var atK = new MetricsAtK[ks.Count];
        for (var k = 0; k < ks.Count; k++)
        {
            atK[k] = At(relevantRanks, ks[k]);
        }

        if (relevant == 0)
        {
            return new QueryMetrics(atK, 0, 0, 0);
        }

        double sum = 0;
        for (var j = 0; j < relevant; j++)
        {
            sum += (j + 1) / (double)relevantRanks[j];
        }

        return new QueryMetrics(atK, sum / relevant, 1.0 / relevantRanks[0], relevant);
    }

    public static MetricsAtK At(ReadOnlySpan<int> relevantRanks, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var relevant = relevantRanks.Length;
        int hits = 0;
        double precisionSum = 0, dcg = 0;
        for (var j = 0; j < relevant && relevantRanks[j] <= k; j++)
        {
            hits++;
            precisionSum += hits / (double)relevantRanks[j];
            dcg += 1 / Math.Log2(relevantRanks[j] + 1);
        }

        if (relevant == 0)
        {
            return new MetricsAtK(k, 0, 0, 0, 0, 0);
        }

        double ideal = 0;
        for (var i = 1; i <= Math.Min(relevant, k); i++)
        {
            ideal += 1 / Math.Log2(i + 1);
        }

        return new MetricsAtK(k, hits / (double)k, hits / (double)relevant, precisionSum / relevant, precisionSum / k, dcg / ideal);
    }

    /// <summary>Recall levels of the 11-point interpolated precision–recall curve (0, 0.1, …, 1).</summary>
    public static readonly double[] RecallLevels = [.. Enumerable.Range(0, 11).Select(i => i / 10.0)];

    /// <summary>
    /// Interpolated precision at each of <see cref="RecallLevels"/>: the highest precision at any rank whose recall is
    /// at least the level (trec_eval's iprec_at_recall). All zero when nothing is relevant.
    /// </summary>
    public static double[] InterpolatedPrecision(ReadOnlySpan<int> relevantRanks)
    {
        var curve = new double[RecallLevels.Length];
        var relevant = relevantRanks.Length;
        if (relevant == 0)
        {
            return curve;
        }

        // Walk from the last relevant rank back, carrying the best precision seen at or beyond each recall.
        var best = 0.0;
        var level = RecallLevels.Length - 1;
        for (var j = relevant - 1; j >= 0; j--)
        {
            best = Math.Max(best, (j + 1) / (double)relevantRanks[j]);
            var recall = (j + 1) / (double)relevant;
            var previousRecall = j / (double)relevant;
            while (level >= 0 && RecallLevels[level] > previousRecall + 1e-12 && RecallLevels[level] <= recall + 1e-12)
            {
                curve[level] = best;
                level--;
            }
        }

        while (level >= 0)
        {
            curve[level--] = best;
        }

        return curve;
    }
}
