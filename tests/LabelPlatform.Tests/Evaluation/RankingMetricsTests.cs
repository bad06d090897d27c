using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Tests.Evaluation;

/// <summary>Metrics on small rankings whose values were worked out by hand (the working is in each test).</summary>
public class RankingMetricsTests
{
    private const int Digits = 6;

    [Fact]
    public void Two_relevant_at_ranks_1_and_3_at_k5()
    {
        // Hand computation, relevant at ranks 1 and 3, R = 2, K = 5:
        // P@5 = 2/5; R@5 = 2/2; precision at the relevant ranks = 1/1 and 2/3;
        // AP@5 (trec_eval map_cut_5) = (1 + 2/3) / 2 = 0.833333; notebook = (1 + 2/3) / 5 = 0.333333;
        // DCG@5 = 1/log2(2) + 1/log2(4) = 1.5; IDCG@5 = 1 + 1/log2(3) = 1.630930; nDCG@5 = 0.919721.
        var m = RankingMetrics.At([1, 3], 5);

        Assert.Equal(0.4, m.Precision, Digits);
        Assert.Equal(1.0, m.Recall, Digits);
        Assert.Equal(0.833333, m.AveragePrecision, Digits);
        Assert.Equal(0.333333, m.AveragePrecisionNotebook, Digits);
        Assert.Equal(0.919721, m.Ndcg, Digits);
    }

    [Fact]
    public void Cut_off_before_the_second_relevant()
    {
        // Ranks 1 and 3, K = 2: one hit. P@2 = 1/2; R@2 = 1/2; AP@2 = (1/1) / R = 0.5 (trec_eval divides by all
        // relevant, not by min(R, K)); notebook = 1 / 2 = 0.5; nDCG@2 = 1 / (1 + 1/log2(3)) = 0.613147.
        var m = RankingMetrics.At([1, 3], 2);

        Assert.Equal(0.5, m.Precision, Digits);
        Assert.Equal(0.5, m.Recall, Digits);
        Assert.Equal(0.5, m.AveragePrecision, Digits);
        Assert.Equal(0.5, m.AveragePrecisionNotebook, Digits);
        Assert.Equal(0.613147, m.Ndcg, Digits);
    }

    [Fact]
    public void Full_ranking_ap_and_reciprocal_rank()
    {
        // Ranks 2, 3, 6 (R = 3): precisions 1/2, 2/3, 3/6; AP = (0.5 + 0.666667 + 0.5) / 3 = 0.555556; RR = 1/2.
        var q = RankingMetrics.Compute([2, 3, 6], [1, 5]);

        Assert.Equal(0.555556, q.AveragePrecision, Digits);
        Assert.Equal(0.5, q.ReciprocalRank, Digits);
        Assert.Equal(3, q.Relevant);
        // P@1 = 0 (rank 1 is not relevant); AP@5 = (1/2 + 2/3) / 3 = 0.388889; notebook (1/2 + 2/3) / 5 = 0.233333.
        Assert.Equal(0, q.AtK[0].Precision, Digits);
        Assert.Equal(0.388889, q.AtK[1].AveragePrecision, Digits);
        Assert.Equal(0.233333, q.AtK[1].AveragePrecisionNotebook, Digits);
    }

    [Fact]
    public void No_relevant_result_scores_zero_everywhere()
    {
        var q = RankingMetrics.Compute([], [1, 10]);

        Assert.Equal(0, q.Relevant);
        Assert.Equal(0, q.AveragePrecision);
        Assert.Equal(0, q.ReciprocalRank);
        Assert.All(q.AtK, m => Assert.Equal(new MetricsAtK(m.K, 0, 0, 0, 0, 0), m));
    }

    [Fact]
    public void K_larger_than_the_list_still_divides_by_k()
    {
        // Three candidates, the one relevant at rank 2, K = 10 (trec_eval's P@K convention: divide by K, not by
        // the 3 results there are). P@10 = 1/10; AP@10 = (1/2) / 1 = 0.5; notebook = (1/2) / 10 = 0.05.
        var m = RankingMetrics.At([2], 10);

        Assert.Equal(0.1, m.Precision, Digits);
        Assert.Equal(1.0, m.Recall, Digits);
        Assert.Equal(0.5, m.AveragePrecision, Digits);
        Assert.Equal(0.05, m.AveragePrecisionNotebook, Digits);
    }

    [Fact]
    public void All_relevant_first_is_perfect()
    {
        var m = RankingMetrics.At([1, 2, 3], 3);

        Assert.Equal(1, m.Precision, Digits);
        Assert.Equal(1, m.AveragePrecision, Digits);
        Assert.Equal(1, m.AveragePrecisionNotebook, Digits);
        Assert.Equal(1, m.Ndcg, Digits);
    }

    [Fact]
    public void Interpolated_precision_takes_the_best_precision_at_or_beyond_each_recall()
    {
        // Ranks 1 and 3 (R = 2): recall 0.5 at precision 1, recall 1 at precision 2/3. Levels 0-0.5 -> 1; 0.6-1 -> 2/3.
        var curve = RankingMetrics.InterpolatedPrecision([1, 3]);

        Assert.Equal(11, curve.Length);
        for (var level = 0; level <= 5; level++)
        {
            Assert.Equal(1.0, curve[level], Digits);
        }

        for (var level = 6; level <= 10; level++)
        {
            Assert.Equal(2 / 3.0, curve[level], Digits);
        }
    }

    [Fact]
    public void Interpolation_lifts_an_early_dip()
    {
        // Ranks 2, 3 (R = 2): precisions 1/2 at recall 0.5, 2/3 at recall 1: interpolation lifts every level to 2/3.
        var curve = RankingMetrics.InterpolatedPrecision([2, 3]);

        Assert.All(curve, p => Assert.Equal(2 / 3.0, p, Digits));
    }

    [Fact]
    public void A_cut_off_below_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RankingMetrics.At([1], 0));
    }
}
