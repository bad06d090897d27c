using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Search;

namespace LabelPlatform.Tests.Evaluation;

/// <summary>
/// The leave-one-out fast path (half of the Gram matrix multiplied, the rest mirrored), the branch-free ranking
/// and the shared bootstrap draws, each against a plain reference.
/// </summary>
public class LeaveOneOutRankingTests
{
    private static float Dot(float[] x, int i, int j, int d)
    {
        var score = new float[1];
        GemmKernel.Multiply(x.AsSpan(i * d, d), 1, x.AsSpan(j * d, d), 1, d, score, 1);
        return score[0];
    }

    // Coarse components (0 or 1, plus a dimension tail past the vector width) make many exact ties.
    private static (EvaluationData Data, float[] X, int[] Classes) Coarse(int n, int d, int seed)
    {
        var random = new Random(seed);
        var x = new float[n * d];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = random.Next(2) + 0.001f;
        }

        // One big class (half the items) so the relevant table is larger than a few powers of two.
        var classes = Enumerable.Range(0, n).Select(_ => random.Next(2) == 0 ? 1 : 2 + random.Next(5)).ToArray();
        var items = Enumerable.Range(0, n).Select(i => new EvaluationItem(1000 + i, classes[i])).ToList();
        var data = new EvaluationData
        {
            Queries = items,
            Candidates = [.. items],
            Classes = [.. Enumerable.Range(1, 6).Select(c => new ClassInfo(c, $"c{c}", false))],
            QueryVectors = x,
            CandidateVectors = [.. x],
            Dimension = d,
        };
        return (data, x, classes);
    }

    [Fact]
    public void The_half_product_is_bit_identical_to_the_full_product()
    {
        const int n = 301, d = 1283;
        var random = new Random(3);
        var x = Enumerable.Range(0, n * d).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var full = new float[n * n];
        GemmKernel.Multiply(x, n, x, n, d, full, n);
        var gram = new float[n * n];
        GramMatrix.FillUpper(x, n, d, gram, 2);
        GramMatrix.MirrorRows(gram, n, 0, 17);
        GramMatrix.MirrorRows(gram, n, 17, n);
        Assert.Equal(full, gram);
    }

    [Fact]
    public void Leave_one_out_ranks_exactly_like_a_full_sort_with_many_ties()
    {
        const int n = 301, d = 37;
        var (data, x, classes) = Coarse(n, d, 7);
        Assert.True(Evaluator.IsLeaveOneOut(data));
        int[] ks = [1, 5, 20];

        // Blocks of 16 queries, so rows are completed across many blocks.
        var report = Evaluator.Evaluate(data, new EvaluationSettings(ks, 5, 1) { BootstrapSamples = 0, QueryBlock = 16 });
        for (var q = 0; q < n; q++)
        {
            var order = Enumerable.Range(0, n).Where(c => c != q).Select(c => (Id: 1000L + c, Class: classes[c], Score: Dot(x, q, c, d)))
                .OrderByDescending(c => c.Score).ThenBy(c => c.Id).ToList();
            var ranks = order.Select((c, i) => (c, i)).Where(t => t.c.Class == classes[q]).Select(t => t.i + 1).ToArray();
            var expected = RankingMetrics.Compute(ranks, ks);
            var result = report.QueryResults[q];
            Assert.Equal(order.Take(20).Select(c => c.Id), result.Top.Select(h => h.ImageId));
            Assert.Equal(order.Take(20).Select(c => c.Score), result.Top.Select(h => h.Score));
            Assert.Equal(expected.Relevant, result.Relevant);
            Assert.Equal(expected.AveragePrecision, result.AveragePrecision);
            Assert.Equal(expected.AtK, result.AtK);
        }
    }

    [Fact]
    public void Bootstrap_intervals_equal_resampling_each_metric_with_its_own_seeded_generator()
    {
        var (data, _, _) = Coarse(120, 16, 9);
        var settings = new EvaluationSettings([5, 10], 10, 42) { BootstrapSamples = 200 };
        var report = Evaluator.Evaluate(data, settings);
        var evaluated = report.QueryResults.Where(r => r.Relevant > 0).ToList();
        var main = report.Ks.ToList().IndexOf(10);
        var metrics = new Dictionary<string, Func<QueryResult, double>>
        {
            ["P@10"] = r => r.AtK[main].Precision,
            ["nDCG@10"] = r => r.AtK[main].Ndcg,
            ["mAP"] = r => r.AveragePrecision,
            ["MRR"] = r => r.ReciprocalRank,
        };
        foreach (var (name, of) in metrics)
        {
            var values = evaluated.Select(of).ToArray();
            var random = new Random(42);
            var means = Enumerable.Range(0, 200).Select(_ =>
            {
                double sum = 0;
                for (var i = 0; i < values.Length; i++)
                {
                    sum += values[random.Next(values.Length)];
                }

                return sum / values.Length;
            }).Order().ToArray();
            var interval = report.Intervals.Single(i => i.Metric == name);
            Assert.Equal(Evaluator.Percentile(means, 0.025), interval.Low);
            Assert.Equal(Evaluator.Percentile(means, 0.975), interval.High);
        }
    }
}
