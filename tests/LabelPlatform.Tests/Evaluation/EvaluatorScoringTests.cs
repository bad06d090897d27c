using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;

namespace LabelPlatform.Tests.Evaluation;

/// <summary>The blocked (GEMM) scoring path of the evaluator at the real width, and its bounded parallelism.</summary>
public class EvaluatorScoringTests
{
    private const int D = 1280;

    // u and v: orthonormal directions spread over all 1280 dimensions, so every pass of the kernel contributes.
    private static (double[] U, double[] V) Basis()
    {
        var random = new Random(5);
        var u = Enumerable.Range(0, D).Select(_ => random.NextDouble() - 0.5).ToArray();
        var v = Enumerable.Range(0, D).Select(_ => random.NextDouble() - 0.5).ToArray();
        Normalize(u);
        var along = u.Zip(v).Sum(p => p.First * p.Second);
        for (var i = 0; i < D; i++)
        {
            v[i] -= along * u[i];
        }

        Normalize(v);
        return (u, v);
    }

    private static void Normalize(double[] x)
    {
        var norm = Math.Sqrt(x.Sum(t => t * t));
        for (var i = 0; i < x.Length; i++)
        {
            x[i] /= norm;
        }
    }

    private static float[] At(double[] u, double[] v, double cosine) =>
        [.. u.Zip(v).Select(p => (float)((cosine * p.First) + (Math.Sqrt(1 - (cosine * cosine)) * p.Second)))];

    [Fact]
    public void Average_precision_and_precision_at_k_match_hand_computed_rankings()
    {
        // Five queries along u (enough for the kernel's 4-query block plus an edge); seven candidates whose cosine
        // with u falls 0.9, 0.8, ... 0.3 as the image id rises, so every query ranks them 11, 12, ..., 17.
        var (u, v) = Basis();
        var candidateClasses = new[] { 1, 2, 1, 2, 3, 1, 3 };
        var candidates = candidateClasses.Select((c, i) => (Item: new EvaluationItem(11 + i, c), Vector: At(u, v, 0.9 - (0.1 * i)))).ToList();
        var queryClasses = new[] { 1, 2, 3, 1, 4 };
        var data = new EvaluationData
        {
            Queries = [.. queryClasses.Select((c, i) => new EvaluationItem(100 + i, c))],
            Candidates = [.. candidates.Select(c => c.Item)],
            Classes = [new ClassInfo(1, "a", false), new ClassInfo(2, "b", false), new ClassInfo(3, "c", false), new ClassInfo(4, "d", false)],
            QueryVectors = [.. queryClasses.SelectMany(_ => At(u, v, 1))],
            CandidateVectors = [.. candidates.SelectMany(c => c.Vector)],
            Dimension = D,
        };

        var report = Evaluator.Evaluate(data, new EvaluationSettings([1, 5], 5, 3) { BootstrapSamples = 0 });

        // Class 1 sits at ranks 1, 3, 6: AP = (1/1 + 2/3 + 3/6) / 3, P@5 = 2/5, P@1 = 1.
        // Class 2 at ranks 2, 4: AP = (1/2 + 2/4) / 2 = 0.5, P@5 = 2/5, P@1 = 0. Class 3 at 5, 7: AP = (1/5 + 2/7) / 2.
        var expected = new (double Ap, double P5, double P1)[]
        {
            ((1 + (2 / 3.0) + 0.5) / 3, 0.4, 1),
            (0.5, 0.4, 0),
            (((1 / 5.0) + (2 / 7.0)) / 2, 0.2, 0),
            ((1 + (2 / 3.0) + 0.5) / 3, 0.4, 1),
        };
        for (var q = 0; q < 4; q++)
        {
            var result = report.QueryResults[q];
            Assert.Equal([11L, 12, 13, 14, 15], result.Top.Select(h => h.ImageId));
            Assert.Equal(expected[q].Ap, result.AveragePrecision, 12);
            Assert.Equal(expected[q].P5, result.AtK[1].Precision, 12);
            Assert.Equal(expected[q].P1, result.AtK[0].Precision, 12);
            Assert.Equal(0.9, result.Top[0].Score, 5);
        }

        // The class-4 query has nothing relevant and is left out of the mean.
        Assert.Equal(0, report.QueryResults[4].Relevant);
        Assert.Equal(expected.Average(e => e.Ap), report.Overall.MeanAveragePrecision, 12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void An_evaluation_uses_at_most_its_degree_of_parallelism(int threads)
    {
        var random = new Random(1);
        const int n = 400, d = 32;
        var vectors = new float[n * d];
        for (var i = 0; i < vectors.Length; i++)
        {
            vectors[i] = random.NextSingle() - 0.5f;
        }

        var items = Enumerable.Range(0, n).Select(i => new EvaluationItem(i + 1, (i % 4) + 1)).ToList();
        var data = new EvaluationData
        {
            Queries = items,
            Candidates = items,
            Classes = [.. Enumerable.Range(1, 4).Select(c => new ClassInfo(c, $"c{c}", false))],
            QueryVectors = vectors,
            CandidateVectors = vectors,
            Dimension = d,
        };
        int active = 0, most = 0;

        // One-query blocks: 400 work items; each block's progress report runs on its worker, so the reports that
        // overlap in time count the blocks being worked on at once.
        Evaluator.Evaluate(data, new EvaluationSettings([10], 10, 1) { BootstrapSamples = 0, QueryBlock = 1, MaxDegreeOfParallelism = threads }, _ =>
        {
            var now = Interlocked.Increment(ref active);
            InterlockedMax(ref most, now);
            Thread.SpinWait(20_000);
            Interlocked.Decrement(ref active);
        });

        Assert.InRange(most, 1, threads);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var before && before != seen)
        {
            seen = before;
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(Evaluator.MaxThreads + 1)]
    public void A_degree_of_parallelism_out_of_range_is_refused(int threads)
    {
        var settings = new EvaluationSettings([10], 10, 1) { MaxDegreeOfParallelism = threads };
        Assert.NotNull(settings.Problem());
    }
}
