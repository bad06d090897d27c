using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Search;
using System.Numerics.Tensors;

namespace LabelPlatform.Core.Evaluation;

public readonly record struct EvaluationItem(long ImageId, int ClassId);

/// <summary>Queries and candidates with their classes and, for a model, their L2-normalised vectors (row-major).</summary>
public sealed class EvaluationData
{
    public required IReadOnlyList<EvaluationItem> Queries { get; init; }
    public required IReadOnlyList<EvaluationItem> Candidates { get; init; }
    public required IReadOnlyList<ClassInfo> Classes { get; init; }

    /// <summary>Null for the random baseline.</summary>
    public float[]? QueryVectors { get; init; }
    public float[]? CandidateVectors { get; init; }
    public int Dimension { get; init; }

    public bool IsRandom => QueryVectors is null;
}

public sealed record EvaluationSettings(IReadOnlyList<int> Ks, int MainK, int Seed)
{
    public int BootstrapSamples { get; init; } = 1000;
    public int WorstQueries { get; init; } = 25;
    public int Hubs { get; init; } = 25;
    public int ConfusedPairs { get; init; } = 20;

    /// <summary>Blocking of the all-pairs products (benchmarks vary it; results never depend on it).</summary>
    public int QueryBlock { get; init; } = Evaluator.DefaultQueryBlock;
    public int CandidateTile { get; init; } = Evaluator.DefaultCandidateTile;

    /// <summary>
    /// Threads one evaluation may use. Bounded because an unbounded Parallel.For on a loaded machine kept injecting
    /// thread-pool threads (239 seen in one evaluation) that only contend for the same cores.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Score through OpenBLAS's sgemm where it is installed instead of GemmKernel. Off by default: sgemm's sums differ
    /// from GemmKernel's in the last bits, so a run's ties (and with them its metrics) would depend on whether the
    /// machine has libopenblas; GemmKernel gives the same scores at every SIMD width and on every install.
    /// </summary>
    public bool NativeBlas { get; init; }

    /// <summary>Results kept per query: the largest cut-off.</summary>
    public int Depth => Ks.Max();

    public string? Problem()
    {
        if (Ks.Count == 0 || Ks.Any(k => k is < 1 or > 1000))
        {
            return "each k must be between 1 and 1000";
        }

        if (QueryBlock < 1 || CandidateTile < 1)
        {
            return "query block and candidate tile must be positive";
        }

        if (MaxDegreeOfParallelism is < 1 or > Evaluator.MaxThreads)
        {
            return $"the degree of parallelism must be between 1 and {Evaluator.MaxThreads}";
        }

        return Ks.Contains(MainK) ? null : $"the main k ({MainK}) must be one of the k values";
    }
}

/// <summary>
/// Ranks every query's candidates and measures the rankings. Scores are dot products of unit vectors (cosine),
/// computed in blocks of queries x tiles of candidates so each tile stays in cache while a block of queries
/// passes over it; every query then gets a full ranking (for AP over the whole list, recall and the PR curve).
/// Ties are broken by image id, ascending, so a ranking never depends on thread timing. A query never ranks itself.
/// The random baseline scores candidates with a seeded generator per query and goes through the same ranking.
/// </summary>
public static class Evaluator
{
    /// <summary>A result this close to the query is flagged as a likely exact copy.</summary>
    public const float DuplicateScore = 0.9999f;

    /// <summary>
    /// Queries scored together: every block reads (and sgemm packs) all candidates once, so at 16 the 9,144-candidate
    /// leave-one-out read 26 GB from memory and at 64 sgemm still spent a tenth of its time packing; at 256 neither
    /// shows. The block's scores are capped at <see cref="MaxBlockScores"/> per worker for large candidate sets.
    /// </summary>
    public const int DefaultQueryBlock = 256;

    /// <summary>Scores one worker holds at once (16 MB), which shrinks the query block when candidates are many.</summary>
    public const int MaxBlockScores = 1 << 22;

    /// <summary>Kept for callers that vary it; the product is tiled by <see cref="GemmKernel.TileRows"/> inside the kernel.</summary>
    public const int DefaultCandidateTile = GemmKernel.TileRows;

    /// <summary>Upper bound of <see cref="EvaluationSettings.MaxDegreeOfParallelism"/>.</summary>
    public const int MaxThreads = 256;

    public static EvaluationReport Evaluate(EvaluationData data, EvaluationSettings settings, Action<int>? queriesDone = null, CancellationToken cancellationToken = default)
    {
        if (settings.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(settings));
        }

        var queryBlock = Math.Min(settings.QueryBlock, Math.Max(16, MaxBlockScores / Math.Max(1, data.Candidates.Count)));

        var ks = settings.Ks.Distinct().Order().ToArray();
        var queries = data.Queries;
        var candidates = data.Candidates;
        var candidateIndex = new Dictionary<long, int>(candidates.Count);
        for (var c = 0; c < candidates.Count; c++)
        {
            candidateIndex[candidates[c].ImageId] = c;
        }

        var classOf = new int[candidates.Count];
        for (var c = 0; c < candidates.Count; c++)
        {
            classOf[c] = candidates[c].ClassId;
        }

        // Leave-one-out (the queries are the candidates): half the product, the other half mirrored (GramMatrix).
        var gram = !settings.NativeBlas && IsLeaveOneOut(data) ? GC.AllocateUninitializedArray<float>(candidates.Count * candidates.Count) : null;
        if (gram is not null)
        {
            GramMatrix.FillUpper(data.CandidateVectors!, candidates.Count, data.Dimension, gram, settings.MaxDegreeOfParallelism, cancellationToken);
        }

        var results = new QueryResult[queries.Count];
        var curves = new double[queries.Count][];
        var blocks = (queries.Count + queryBlock - 1) / queryBlock;
        var done = 0;
        var n = candidates.Count;
        Parallel.For(0, blocks, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = settings.MaxDegreeOfParallelism }, () => (Scores: gram is null ? new float[queryBlock * n] : [], Ranking: new QueryRanking.Workspace()), (block, _, work) =>
        {
            var first = block * queryBlock;
            var count = Math.Min(queryBlock, queries.Count - first);
            if (gram is null)
            {
                Score(data, settings.Seed, first, count, work.Scores, settings.CandidateTile, settings.NativeBlas);
            }
            else
            {
                GramMatrix.MirrorRows(gram, n, first, first + count);
            }

            for (var q = 0; q < count; q++)
            {
                var query = queries[first + q];
                var self = candidateIndex.TryGetValue(query.ImageId, out var s) ? s : -1;
                var scores = gram is null ? work.Scores.AsSpan(q * n, n) : gram.AsSpan((first + q) * n, n);
                (results[first + q], curves[first + q]) = RankOne(query, candidates, classOf, scores, self, ks, settings.Depth, !data.IsRandom, work.Ranking);
            }

            queriesDone?.Invoke(Interlocked.Add(ref done, count));
            return work;
        }, _ => { });

        return Aggregate(data, settings with { Ks = ks }, results, curves);
    }

    /// <summary>
    /// True when the queries are the candidates, in the same order and with the same vectors (a leave-one-out
    /// split), and the whole score matrix fits <see cref="GramMatrix.MaxScores"/>.
    /// </summary>
    internal static bool IsLeaveOneOut(EvaluationData data)
    {
        var n = data.Candidates.Count;
        if (data.IsRandom || data.Queries.Count != n || n == 0 || (long)n * n > GramMatrix.MaxScores || data.CandidateVectors is null)
        {
            return false;
        }

        for (var i = 0; i < n; i++)
        {
            if (data.Queries[i].ImageId != data.Candidates[i].ImageId)
            {
                return false;
            }
        }

        var length = n * data.Dimension;
        return ReferenceEquals(data.QueryVectors, data.CandidateVectors)
            || data.QueryVectors.AsSpan(0, length).SequenceEqual(data.CandidateVectors.AsSpan(0, length));
    }

    /// <summary>Only the all-pairs scores (no ranking), for the benchmark: returns a checksum so nothing is optimised away.</summary>
    public static double ScoreOnly(EvaluationData data, int queryBlock, int candidateTile, int maxDegreeOfParallelism = 0, bool nativeBlas = true)
    {
        var threads = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount;
        var n = data.Candidates.Count;
        var blocks = (data.Queries.Count + queryBlock - 1) / queryBlock;
        var total = 0.0;
        var gate = new Lock();
        if (!nativeBlas && IsLeaveOneOut(data))
        {
            // The evaluator's own leave-one-out path: the upper half multiplied, rows completed and summed in blocks.
            var gram = GC.AllocateUninitializedArray<float>(n * n);
            GramMatrix.FillUpper(data.CandidateVectors!, n, data.Dimension, gram, threads);
            Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, block =>
            {
                var first = block * queryBlock;
                var count = Math.Min(queryBlock, n - first);
                GramMatrix.MirrorRows(gram, n, first, first + count);
                var sum = TensorPrimitives.Sum<float>(gram.AsSpan(first * n, count * n));
                lock (gate)
                {
                    total += sum;
                }
            });
            return total;
        }

        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new float[queryBlock * n], (block, _, scores) =>
        {
            var first = block * queryBlock;
            var count = Math.Min(queryBlock, data.Queries.Count - first);
            Score(data, 0, first, count, scores, candidateTile, nativeBlas);
            var sum = TensorPrimitives.Sum<float>(scores.AsSpan(0, count * n));
            lock (gate)
            {
                total += sum;
            }

            return scores;
        }, _ => { });
        return total;
    }

    /// <summary>Fills scores[q * n + c] for queries first..first+count.</summary>
    private static void Score(EvaluationData data, int seed, int first, int count, float[] scores, int candidateTile, bool nativeBlas)
    {
        var n = data.Candidates.Count;
        if (data.IsRandom)
        {
            for (var q = 0; q < count; q++)
            {
                // One generator per query, seeded by the query's position: the same at any degree of parallelism.
                var random = new Random(unchecked((seed * 1_000_003) + first + q));
                for (var c = 0; c < n; c++)
                {
                    scores[(q * n) + c] = random.NextSingle();
                }
            }

            return;
        }

        var d = data.Dimension;
        var qv = data.QueryVectors.AsSpan(first * d, count * d);
        var cv = data.CandidateVectors!;
        if (nativeBlas && Search.NativeBlas.Available)
        {
            Search.NativeBlas.Multiply(qv, count, cv, n, d, scores, n);
            return;
        }

        // Blocked, register-tiled product (see GemmKernel); candidateTile only chunks the calls, results do not depend on it.
        for (var tile = 0; tile < n; tile += candidateTile)
        {
            var rows = Math.Min(candidateTile, n - tile);
            GemmKernel.Multiply(qv, count, cv.AsSpan(tile * d, rows * d), rows, d, scores.AsSpan(tile), n);
        }
    }

    /// <summary>One query's result and precision-recall curve from its scores (see <see cref="QueryRanking"/>).</summary>
    private static (QueryResult, double[]) RankOne(EvaluationItem query, IReadOnlyList<EvaluationItem> candidates, int[] classOf, ReadOnlySpan<float> scores, int self, int[] ks, int depth, bool flagDuplicates, QueryRanking.Workspace work)
    {
        var ranks = QueryRanking.Rank(scores, classOf, query.ClassId, self, depth, work, out var top, out var kept);
        var hits = new List<Hit>(kept);
        for (var i = 0; i < kept; i++)
        {
            var c = (int)(uint)top[i];
            hits.Add(new Hit(candidates[c].ImageId, candidates[c].ClassId, scores[c], flagDuplicates && scores[c] >= DuplicateScore));
        }

        var metrics = RankingMetrics.Compute(ranks, ks);
        return (new QueryResult(query.ImageId, query.ClassId, metrics.Relevant, metrics.AtK, metrics.AveragePrecision, metrics.ReciprocalRank, hits),
            RankingMetrics.InterpolatedPrecision(ranks));
    }

    /// <summary>The source of images that were not crawled (imported from a folder, an archive or an upload).</summary>
    public const string ImportedSource = "imported";

    /// <summary>
    /// The report's figures broken down by where the query images came from (<paramref name="hostOf"/>: a crawled
    /// image's source host; every other image counts as <see cref="ImportedSource"/>), biggest source first. Computed
    /// from the stored per-query results, so every report can be broken down, old ones included.
    /// </summary>
    public static IReadOnlyList<SourceMetrics> BySource(EvaluationReport report, IReadOnlyDictionary<long, string> hostOf)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ks = report.Ks.ToArray();
        return [.. report.QueryResults.Where(r => r.Relevant > 0)
            .GroupBy(r => hostOf.GetValueOrDefault(r.ImageId, ImportedSource))
            .Select(g => new SourceMetrics(g.Key, g.Count(), Mean([.. g], ks)))
            .OrderByDescending(s => s.Queries).ThenBy(s => s.Source, StringComparer.Ordinal)];
    }

    private static AggregateMetrics Mean(List<QueryResult> results, int[] ks)
    {
        if (results.Count == 0)
        {
            return new AggregateMetrics([.. ks.Select(k => new MetricsAtK(k, 0, 0, 0, 0, 0))], 0, 0);
        }

        var atK = new MetricsAtK[ks.Length];
        for (var i = 0; i < ks.Length; i++)
        {
            var k = i;
            atK[i] = new MetricsAtK(ks[i],
                results.Average(r => r.AtK[k].Precision),
                results.Average(r => r.AtK[k].Recall),
                results.Average(r => r.AtK[k].AveragePrecision),
                results.Average(r => r.AtK[k].AveragePrecisionNotebook),
                results.Average(r => r.AtK[k].Ndcg));
        }

        return new AggregateMetrics(atK, results.Average(r => r.AveragePrecision), results.Average(r => r.ReciprocalRank));
    }

    private static EvaluationReport Aggregate(EvaluationData data, EvaluationSettings settings, QueryResult[] results, double[][] curves)
    {
        var ks = settings.Ks.ToArray();
        var main = Array.IndexOf(ks, settings.MainK);
        var evaluated = results.Where(r => r.Relevant > 0).ToList();
        var classes = data.Classes.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var classOrder = classes.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var noise = classes.FirstOrDefault(c => c.IsNoise);

        var perClass = evaluated.GroupBy(r => r.ClassId)
            .Select(g => new ClassMetrics(g.Key, classes.FirstOrDefault(c => c.Id == g.Key)?.Name ?? $"class {g.Key}", noise?.Id == g.Key, g.Count(), Mean([.. g], ks)))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

        // Top-K confusion over all queries: every slot of the main cut-off is counted once.
        var counts = classes.Select(_ => new int[classes.Count]).ToArray();
        int noiseSlots = 0, nonNoiseSlots = 0;
        var wrong = new Dictionary<long, (int ClassId, int Wrong, int All)>();
        foreach (var r in results)
        {
            if (!classOrder.TryGetValue(r.ClassId, out var row))
            {
                continue;
            }

            foreach (var hit in r.Top.Take(settings.MainK))
            {
                if (classOrder.TryGetValue(hit.ClassId, out var column))
                {
                    counts[row][column]++;
                }

                if (noise is not null && r.ClassId != noise.Id)
                {
                    nonNoiseSlots++;
                    noiseSlots += hit.ClassId == noise.Id ? 1 : 0;
                }

                var seen = wrong.TryGetValue(hit.ImageId, out var before) ? before : (ClassId: hit.ClassId, Wrong: 0, All: 0);
                wrong[hit.ImageId] = (hit.ClassId, seen.Wrong + (hit.ClassId != r.ClassId ? 1 : 0), seen.All + 1);
            }
        }

        var mostConfused = new List<ConfusedPair>();
        for (var i = 0; i < classes.Count; i++)
        {
            var slots = counts[i].Sum();
            for (var j = 0; j < classes.Count; j++)
            {
                if (i != j && counts[i][j] > 0)
                {
                    mostConfused.Add(new ConfusedPair(classes[i].Id, classes[j].Id, counts[i][j], counts[i][j] / (double)slots));
                }
            }
        }

        var curve = new double[RankingMetrics.RecallLevels.Length];
        var evaluatedCurves = results.Select((r, i) => (r, i)).Where(x => x.r.Relevant > 0).Select(x => curves[x.i]).ToList();
        for (var level = 0; level < curve.Length; level++)
        {
            curve[level] = evaluatedCurves.Count == 0 ? 0 : evaluatedCurves.Average(c => c[level]);
        }

        var overall = Mean(evaluated, ks);
        return new EvaluationReport
        {
            Ks = ks,
            MainK = settings.MainK,
            Method = data.IsRandom ? EvaluationMethods.Random : EvaluationMethods.Model,
            Queries = results.Length,
            Candidates = data.Candidates.Count,
            QueriesWithoutRelevant = results.Length - evaluated.Count,
            DuplicatesFlagged = results.Sum(r => r.Top.Count(h => h.Duplicate)),
            Classes = classes,
            Overall = overall,
            PerClass = perClass,
            Intervals = Bootstrap(evaluated, main, overall, settings),
            PrecisionRecall = curve,
            Confusion = new ConfusionMatrix(settings.MainK, [.. classes.Select(c => c.Id)], counts),
            NoiseClassId = noise?.Id,
            NoiseIntrusion = noise is null || nonNoiseSlots == 0 ? null : noiseSlots / (double)nonNoiseSlots,
            MostConfused = [.. mostConfused.OrderByDescending(p => p.Share).ThenByDescending(p => p.Slots).Take(settings.ConfusedPairs)],
            Hubs = [.. wrong.Where(w => w.Value.Wrong > 0).OrderByDescending(w => w.Value.Wrong).ThenBy(w => w.Key).Take(settings.Hubs)
                .Select(w => new HubImage(w.Key, w.Value.ClassId, w.Value.Wrong, w.Value.All))],
            WorstQueries = [.. evaluated.OrderBy(r => r.AtK[main].AveragePrecision).ThenBy(r => r.AveragePrecision).ThenBy(r => r.ImageId).Take(settings.WorstQueries).Select(r => r.ImageId)],
            QueryResults = results,
        };
    }

    /// <summary>95% percentile intervals from resampling the evaluated queries with replacement (seeded).</summary>
    private static List<Interval> Bootstrap(List<QueryResult> evaluated, int main, AggregateMetrics overall, EvaluationSettings settings)
    {
        var k = settings.MainK;
        var metrics = new (string Name, double Value, Func<QueryResult, double> Of)[]
        {
            ($"P@{k}", overall.AtK[main].Precision, r => r.AtK[main].Precision),
            ($"R@{k}", overall.AtK[main].Recall, r => r.AtK[main].Recall),
            ($"AP@{k}", overall.AtK[main].AveragePrecision, r => r.AtK[main].AveragePrecision),
            ($"AP@{k} (notebook)", overall.AtK[main].AveragePrecisionNotebook, r => r.AtK[main].AveragePrecisionNotebook),
            ($"nDCG@{k}", overall.AtK[main].Ndcg, r => r.AtK[main].Ndcg),
            ("mAP", overall.MeanAveragePrecision, r => r.AveragePrecision),
            ("MRR", overall.MeanReciprocalRank, r => r.ReciprocalRank),
        };
        var intervals = new List<Interval>();
        var n = evaluated.Count;

        // Every metric resamples the same queries (one generator seeded alike per metric, as before): drawn once
        // here, a seventh of the generator calls (64 M at leave-one-out size) for the same intervals.
        var draws = new int[n == 0 ? 0 : (long)settings.BootstrapSamples * n];
        var random = new Random(settings.Seed);
        for (var i = 0; i < draws.Length; i++)
        {
            draws[i] = random.Next(n);
        }

        foreach (var (name, value, of) in metrics)
        {
            if (n == 0 || settings.BootstrapSamples == 0)
            {
                intervals.Add(new Interval(name, value, value, value));
                continue;
            }

            var values = evaluated.Select(of).ToArray();
            var means = new double[settings.BootstrapSamples];
            for (var b = 0; b < means.Length; b++)
            {
                double sum = 0;
                var drawn = draws.AsSpan(b * n, n);
                for (var i = 0; i < n; i++)
                {
                    sum += values[drawn[i]];
                }

                means[b] = sum / n;
            }

            Array.Sort(means);
            intervals.Add(new Interval(name, value, Percentile(means, 0.025), Percentile(means, 0.975)));
        }

        return intervals;
    }

    internal static double Percentile(double[] sorted, double p)
    {
        var position = p * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(sorted.Length - 1, lower + 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }
}
