namespace LabelPlatform.Core.Evaluation;

public sealed record ClassDelta(int ClassId, string Name, int Queries, double PrecisionA, double PrecisionB, double ApA, double ApB)
{
    public double PrecisionDelta => PrecisionB - PrecisionA;
    public double ApDelta => ApB - ApA;
}

public sealed record QueryDelta(long ImageId, int ClassId, double ApA, double ApB)
{
    public double Delta => ApB - ApA;
}

/// <summary>Run B against run A on the queries both evaluated.</summary>
public sealed record ComparisonResult(
    int K,
    int SharedQueries,
    int OnlyInA,
    int OnlyInB,
    double PrecisionA,
    double PrecisionB,
    double ApA,
    double ApB,
    double PValue,
    int Permutations,
    IReadOnlyList<ClassDelta> PerClass,
    IReadOnlyList<QueryDelta> Worse,
    int Improved,
    int Unchanged)
{
    public double ApDelta => ApB - ApA;
    public double PrecisionDelta => PrecisionB - PrecisionA;
}

/// <summary>
/// Compares two reports query by query. Significance comes from a paired randomisation (sign-flip) test on
/// per-query AP@K: under the null hypothesis each query's pair of APs is exchangeable, so the sign of each
/// difference is flipped at random; p is the share of flips whose mean difference is at least as far from zero
/// as the observed one, counting the observed arrangement itself ((hits + 1) / (permutations + 1)), two-sided.
/// </summary>
public static class RunComparison
{
    public static ComparisonResult Compare(EvaluationReport a, EvaluationReport b, int k, int permutations = 10_000, int seed = 2021, int worst = 25)
    {
        if (!a.Ks.Contains(k) || !b.Ks.Contains(k))
        {
            throw new ArgumentException($"both runs must have k = {k} (they have {string.Join(",", a.Ks)} and {string.Join(",", b.Ks)})", nameof(k));
        }

        var byA = a.QueryResults.Where(q => q.Relevant > 0).ToDictionary(q => q.ImageId);
        var byB = b.QueryResults.Where(q => q.Relevant > 0).ToDictionary(q => q.ImageId);
        var shared = byA.Keys.Where(byB.ContainsKey).Order().ToList();
        var pairs = shared.Select(id => (A: byA[id], B: byB[id])).ToList();
        var differences = pairs.Select(p => p.B.At(k).AveragePrecision - p.A.At(k).AveragePrecision).ToArray();

        var perClass = pairs.GroupBy(p => p.B.ClassId)
            .Select(g => new ClassDelta(g.Key, b.ClassName(g.Key), g.Count(),
                g.Average(p => p.A.At(k).Precision), g.Average(p => p.B.At(k).Precision),
                g.Average(p => p.A.At(k).AveragePrecision), g.Average(p => p.B.At(k).AveragePrecision)))
            .OrderBy(c => c.ApDelta).ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();

        var worse = pairs.Select(p => new QueryDelta(p.A.ImageId, p.B.ClassId, p.A.At(k).AveragePrecision, p.B.At(k).AveragePrecision))
            .Where(d => d.Delta < 0).OrderBy(d => d.Delta).ThenBy(d => d.ImageId).Take(worst).ToList();

        return new ComparisonResult(k, shared.Count, byA.Count - shared.Count, byB.Count - shared.Count,
            pairs.Count == 0 ? 0 : pairs.Average(p => p.A.At(k).Precision), pairs.Count == 0 ? 0 : pairs.Average(p => p.B.At(k).Precision),
            pairs.Count == 0 ? 0 : pairs.Average(p => p.A.At(k).AveragePrecision), pairs.Count == 0 ? 0 : pairs.Average(p => p.B.At(k).AveragePrecision),
            PairedRandomizationPValue(differences, permutations, seed), permutations, perClass, worse,
            differences.Count(d => d > 1e-12), differences.Count(d => Math.Abs(d) <= 1e-12));
    }

    /// <summary>Two-sided p-value of a paired sign-flip randomisation test on the mean of <paramref name="differences"/>.</summary>
    public static double PairedRandomizationPValue(IReadOnlyList<double> differences, int permutations = 10_000, int seed = 2021)
    {
        var n = differences.Count;
        if (n == 0)
        {
            return 1;
        }

        var observed = Math.Abs(differences.Sum());
        var random = new Random(seed);
        var atLeast = 0;
        for (var p = 0; p < permutations; p++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                sum += random.Next(2) == 0 ? differences[i] : -differences[i];
            }

            // A small tolerance keeps exact ties (e.g. all differences zero) counted as "at least as extreme".
            if (Math.Abs(sum) >= observed - 1e-12)
            {
                atLeast++;
            }
        }

        return (atLeast + 1) / (double)(permutations + 1);
    }
}
