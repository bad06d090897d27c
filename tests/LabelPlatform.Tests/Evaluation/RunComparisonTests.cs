using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Tests.Evaluation;

public class RunComparisonTests
{
    [Fact]
    public void Randomisation_p_value_matches_the_exact_sign_flip_distribution()
    {
        // Differences [1, 1, 1]: of the 8 equally likely sign patterns, 2 (all + or all -) reach |sum| >= 3,
        // so the exact two-sided p is 2/8 = 0.25; 10,000 random flips land within sampling error of it.
        var p = RunComparison.PairedRandomizationPValue([1, 1, 1], 10_000, 1);

        Assert.InRange(p, 0.235, 0.265);
    }

    [Fact]
    public void No_difference_gives_p_of_one()
    {
        Assert.Equal(1, RunComparison.PairedRandomizationPValue([0, 0, 0, 0], 1000, 1), 6);
        Assert.Equal(1, RunComparison.PairedRandomizationPValue([], 1000, 1), 6);
    }

    private static EvaluationReport Report(params (long Id, int Class, double Ap)[] queries)
    {
        var results = queries.Select(q => new QueryResult(q.Id, q.Class, 1, [new MetricsAtK(10, q.Ap, q.Ap, q.Ap, q.Ap / 10, q.Ap)], q.Ap, q.Ap, [])).ToList();
        return new EvaluationReport
        {
            Ks = [10], MainK = 10, Method = EvaluationMethods.Model, Queries = results.Count, Candidates = 10,
            Classes = [new ClassInfo(1, "a", false), new ClassInfo(2, "b", false)],
            Overall = new AggregateMetrics([new MetricsAtK(10, 0, 0, 0, 0, 0)], 0, 0), PerClass = [], Intervals = [], PrecisionRecall = [],
            Confusion = new ConfusionMatrix(10, [1, 2], [new int[2], new int[2]]), MostConfused = [], Hubs = [], WorstQueries = [],
            QueryResults = results,
        };
    }

    [Fact]
    public void A_consistent_improvement_is_significant_and_the_worse_queries_are_listed()
    {
        var before = Report([.. Enumerable.Range(1, 40).Select(i => ((long)i, i % 2 + 1, 0.4))]);
        var after = Report([.. Enumerable.Range(1, 40).Select(i => ((long)i, i % 2 + 1, i == 7 ? 0.1 : 0.7))]);

        var c = RunComparison.Compare(before, after, 10);

        Assert.Equal(40, c.SharedQueries);
        Assert.True(c.PValue < 0.001, $"p = {c.PValue}");
        Assert.Equal(39, c.Improved);
        var worse = Assert.Single(c.Worse);
        Assert.Equal(7, worse.ImageId);
        Assert.Equal(-0.3, worse.Delta, 6);
        Assert.Equal(2, c.PerClass.Count);
        Assert.True(c.ApDelta > 0.25);
    }

    [Fact]
    public void Only_shared_queries_are_compared_and_a_missing_k_is_refused()
    {
        var a = Report((1, 1, 0.5), (2, 1, 0.5));
        var b = Report((2, 1, 0.5), (3, 1, 0.9));

        var c = RunComparison.Compare(a, b, 10);

        Assert.Equal(1, c.SharedQueries);
        Assert.Equal(1, c.OnlyInA);
        Assert.Equal(1, c.OnlyInB);
        Assert.Throws<ArgumentException>(() => RunComparison.Compare(a, b, 5));
    }
}
