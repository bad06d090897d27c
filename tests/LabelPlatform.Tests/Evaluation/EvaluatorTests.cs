using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Tests.Evaluation;

public class EvaluatorTests
{
    private static readonly ClassInfo A = new(1, "a", false), B = new(2, "b", false), Noise = new(3, "noise", true);

    private static float[] Unit(params float[] v)
    {
        VectorCodec.Normalize(v);
        return v;
    }

    private static EvaluationData Data((long Id, int Class, float[] V)[] queries, (long Id, int Class, float[] V)[] candidates, bool random = false) => new()
    {
        Queries = [.. queries.Select(q => new EvaluationItem(q.Id, q.Class))],
        Candidates = [.. candidates.Select(c => new EvaluationItem(c.Id, c.Class))],
        // The three named classes, plus a plain one for every other class id the items use.
        Classes = [A, B, Noise, .. queries.Select(q => q.Class).Concat(candidates.Select(c => c.Class)).Distinct().Where(c => c > 3).Select(c => new ClassInfo(c, $"c{c}", false))],
        QueryVectors = random ? null : [.. queries.SelectMany(q => q.V)],
        CandidateVectors = random ? null : [.. candidates.SelectMany(c => c.V)],
        Dimension = queries[0].V.Length,
    };

    [Fact]
    public void Ranks_by_cosine_and_breaks_ties_by_image_id()
    {
        // Candidates 5 (class a) and 3 (class b) are both identical to the query: the tie goes to the lower id, 3,
        // so the relevant one sits at rank 2. Candidate 9 (class a) is orthogonal: rank 3.
        var data = Data(
            [(100, 1, Unit(1, 0))],
            [(3, 2, Unit(1, 0)), (5, 1, Unit(1, 0)), (9, 1, Unit(0, 1))]);

        var report = Evaluator.Evaluate(data, new EvaluationSettings([1, 3], 1, 7));

        var q = Assert.Single(report.QueryResults);
        Assert.Equal([3L, 5L, 9L], q.Top.Select(h => h.ImageId));
        Assert.Equal(0, q.At(1).Precision);
        // Relevant at ranks 2 and 3: AP = (1/2 + 2/3) / 2.
        Assert.Equal((0.5 + (2 / 3.0)) / 2, q.AveragePrecision, 6);
        Assert.True(q.Top[0].Duplicate && q.Top[1].Duplicate && !q.Top[2].Duplicate);
        Assert.Equal(2, report.DuplicatesFlagged);
    }

    [Fact]
    public void Figures_break_down_by_the_source_of_the_query_images()
    {
        // Queries 100 and 101 were crawled from x.test, 102 was imported, 103 has no relevant candidate (left out).
        // At K = 1: 100 finds its class (1), 101 does not (0), 102 does (1).
        var data = Data(
            [(100, 1, Unit(1, 0)), (101, 1, Unit(0, 1)), (102, 2, Unit(0, 1)), (103, 4, Unit(1, 1))],
            [(1, 1, Unit(1, 0)), (2, 2, Unit(0, 1))]);
        var report = Evaluator.Evaluate(data, new EvaluationSettings([1], 1, 7));

        var sources = Evaluator.BySource(report, new Dictionary<long, string> { [100] = "x.test", [101] = "x.test", [103] = "y.test" });

        Assert.Equal(["x.test", Evaluator.ImportedSource], sources.Select(x => x.Source));
        Assert.Equal((2, 0.5), (sources[0].Queries, sources[0].Metrics.At(1).Precision));
        Assert.Equal((1, 1.0), (sources[1].Queries, sources[1].Metrics.At(1).Precision));
        // AP over the full ranking: 100 and 102 have their one relevant at rank 1 (1), 101 at rank 2 (1/2).
        Assert.Equal(0.75, sources[0].Metrics.MeanAveragePrecision, 6);
        Assert.Equal(3, sources.Sum(x => x.Queries));
    }

    [Fact]
    public void A_query_never_ranks_itself_in_leave_one_out()
    {
        var items = new (long, int, float[])[] { (1, 1, Unit(1, 0.1f)), (2, 1, Unit(1, 0.2f)), (3, 2, Unit(0, 1)), (4, 2, Unit(0.1f, 1)) };

        var report = Evaluator.Evaluate(Data(items, items), new EvaluationSettings([1, 3], 1, 7));

        Assert.All(report.QueryResults, q =>
        {
            Assert.DoesNotContain(q.Top, h => h.ImageId == q.ImageId);
            Assert.Equal(3, q.Top.Count);
            Assert.Equal(1, q.Relevant);
            Assert.Equal(1, q.At(1).Precision);
        });
        Assert.Equal(1, report.Overall.MeanAveragePrecision, 6);
    }

    [Fact]
    public void Queries_without_a_relevant_candidate_are_left_out_of_means()
    {
        var report = Evaluator.Evaluate(
            Data([(1, 1, Unit(1, 0)), (2, 2, Unit(0, 1))], [(10, 1, Unit(1, 0)), (11, 1, Unit(1, 1))]),
            new EvaluationSettings([1], 1, 7));

        Assert.Equal(2, report.Queries);
        Assert.Equal(1, report.QueriesWithoutRelevant);
        Assert.Equal(1, report.Overall.At(1).Precision, 6);
        Assert.Single(report.PerClass);
    }

    [Fact]
    public void Confusion_counts_every_top_k_slot_and_noise_intrusion_counts_noise_slots_of_other_queries()
    {
        // Query of class a: top-2 = a (same direction), then noise. Query of class b: top-2 = b, then noise.
        var data = Data(
            [(1, 1, Unit(1, 0, 0)), (2, 2, Unit(0, 1, 0))],
            [(10, 1, Unit(1, 0, 0)), (11, 2, Unit(0, 1, 0)), (12, 3, Unit(1, 1, 1)), (13, 1, Unit(0, 0, 1))]);

        var report = Evaluator.Evaluate(data, new EvaluationSettings([2], 2, 7));

        var order = report.Confusion.ClassIds.ToList();
        int a = order.IndexOf(1), b = order.IndexOf(2), n = order.IndexOf(3);
        Assert.Equal(1, report.Confusion.Counts[a][a]);
        Assert.Equal(1, report.Confusion.Counts[a][n]);
        Assert.Equal(1, report.Confusion.Counts[b][b]);
        Assert.Equal(1, report.Confusion.Counts[b][n]);
        Assert.Equal(0.5, report.NoiseIntrusion!.Value, 6);
        var hub = Assert.Single(report.Hubs);
        Assert.Equal(12, hub.ImageId);
        Assert.Equal(2, hub.WrongClassAppearances);
        Assert.Equal(2, report.Pairs(1, 3).Count() + report.Pairs(2, 3).Count());
        Assert.Contains(report.MostConfused, p => p.QueryClassId == 1 && p.ResultClassId == 3 && Math.Abs(p.Share - 0.5) < 1e-9);
    }

    private static (long, int, float[])[] Clustered(int classes, int perClass, int dimension, int seed, long firstId)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, dimension).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
        var items = new List<(long, int, float[])>();
        for (var c = 0; c < classes; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                var v = centres[c].Select(x => x + (((float)random.NextDouble() - 0.5f) * 0.8f)).ToArray();
                items.Add((firstId + items.Count, c + 1, Unit(v)));
            }
        }

        return [.. items];
    }

    [Fact]
    public void Random_baseline_is_seeded_and_near_the_relevant_share()
    {
        // 20 classes x 50 candidates: a random ranker's expected P@10 is 50 / 1000 = 0.05.
        var candidates = Clustered(20, 50, 4, 1, 1000);
        var queries = Clustered(20, 10, 4, 2, 1);
        var data = Data(queries, candidates, random: true);
        var settings = new EvaluationSettings([10], 10, 2021);

        var first = Evaluator.Evaluate(data, settings);
        var again = Evaluator.Evaluate(data, settings);
        var other = Evaluator.Evaluate(data, settings with { Seed = 2022 });

        Assert.Equal(first.ToJson(), again.ToJson());
        Assert.NotEqual(first.ToJson(), other.ToJson());
        Assert.InRange(first.Overall.At(10).Precision, 0.035, 0.065);
        Assert.Equal(EvaluationMethods.Random, first.Method);
    }

    [Fact]
    public void Results_do_not_depend_on_thread_timing_and_beat_random_on_clustered_vectors()
    {
        var candidates = Clustered(10, 40, 16, 3, 1000);
        var queries = Clustered(10, 8, 16, 3, 1);
        var settings = new EvaluationSettings([1, 10], 10, 5);

        var first = Evaluator.Evaluate(Data(queries, candidates), settings);
        var second = Evaluator.Evaluate(Data(queries, candidates), settings);
        var random = Evaluator.Evaluate(Data(queries, candidates, random: true), settings);

        Assert.Equal(first.ToJson(), second.ToJson());
        Assert.True(first.Overall.At(10).Precision > random.Overall.At(10).Precision + 0.3);
        // Bootstrap intervals bracket the point estimate.
        Assert.All(first.Intervals, i => Assert.InRange(i.Value, i.Low - 1e-9, i.High + 1e-9));
        // Every confusion row holds queries x K slots.
        Assert.All(first.Confusion.Counts, row => Assert.Equal(8 * 10, row.Sum()));
        Assert.Equal(first.QueryResults.OrderBy(q => q.At(10).AveragePrecision).First().ImageId, first.WorstQueries[0]);
    }

    [Fact]
    public void Ranks_agree_with_a_plain_full_sort_even_with_many_ties()
    {
        // Coarse vectors (components 0 or 1) make many exact score ties; the reference sorts every candidate by
        // (score descending, image id ascending) and computes ranks and metrics from that order.
        var random = new Random(11);
        float[] Coarse() => Unit([.. Enumerable.Range(0, 4).Select(_ => (float)random.Next(2) + 0.001f)]);
        var candidates = Enumerable.Range(0, 300).Select(i => ((long)(1000 + i), 1 + random.Next(4), Coarse())).ToArray();
        var queries = Enumerable.Range(0, 40).Select(i => ((long)(1 + i), 1 + random.Next(4), Coarse())).ToArray();
        var ks = new[] { 1, 5, 20 };

        // The managed kernel, whose every score is bit-identical to a lone dot product by it (sgemm's need not be),
        // so the reference sorts exactly the scores the evaluator ranked.
        var report = Evaluator.Evaluate(Data(queries, candidates), new EvaluationSettings(ks, 5, 1) { NativeBlas = false });
        static float Dot(float[] a, float[] b)
        {
            var score = new float[1];
            LabelPlatform.Core.Search.GemmKernel.Multiply(a, 1, b, 1, a.Length, score, 1);
            return score[0];
        }

        foreach (var (q, result) in queries.Zip(report.QueryResults))
        {
            var order = candidates.Select(c => (c.Item1, c.Item2, Score: Dot(q.Item3, c.Item3)))
                .OrderByDescending(c => c.Score).ThenBy(c => c.Item1).ToList();
            var ranks = order.Select((c, i) => (c, i)).Where(x => x.c.Item2 == q.Item2).Select(x => x.i + 1).ToArray();
            var expected = RankingMetrics.Compute(ranks, ks);
            Assert.Equal(order.Take(20).Select(c => c.Item1), result.Top.Select(h => h.ImageId));
            Assert.Equal(expected.AveragePrecision, result.AveragePrecision, 12);
            Assert.Equal(expected.AtK, result.AtK);
        }
    }

    [Fact]
    public void Report_survives_a_gzip_round_trip()
    {
        var items = Clustered(3, 5, 4, 9, 1);
        var report = Evaluator.Evaluate(Data(items, items), new EvaluationSettings([1, 5], 5, 1));

        var back = EvaluationReport.FromGzip(report.ToGzip());

        Assert.Equal(report.ToJson(), back.ToJson());
    }

    [Fact]
    public void Main_k_must_be_one_of_the_k_values()
    {
        var items = Clustered(2, 3, 2, 1, 1);
        Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(Data(items, items), new EvaluationSettings([1, 5], 10, 1)));
    }
}
