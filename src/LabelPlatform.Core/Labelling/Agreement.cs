namespace LabelPlatform.Core.Labelling;

/// <summary>
/// A vote's value, comparable across labellers: a class, "noise" (a dataset without a noise class) or "rejected".
/// </summary>
public readonly record struct LabelValue(int? ClassId, bool Rejected)
{
    public static LabelValue Reject => new(null, true);

    public static LabelValue Noise => new(null, false);

    public static LabelValue Of(int classId) => new(classId, false);

    public string Key => Rejected ? "reject" : ClassId is { } c ? $"c{c}" : "noise";

    public static LabelValue? FromVote(LabelEventKind kind, int? classId) => kind switch
    {
        LabelEventKind.Label when classId is { } c => Of(c),
        LabelEventKind.Noise => new LabelValue(classId, false),
        LabelEventKind.Reject => Reject,
        _ => null,
    };
}

/// <summary>Consensus and chance-corrected agreement (Cohen's and Fleiss' kappa).</summary>
public static class Agreement
{
    /// <summary>
    /// The majority label once at least <paramref name="overlap"/> votes are in: a value with more than half of the
    /// votes. A tie (1-1, 1-1-1) has none, and the image goes to review.
    /// </summary>
    public static LabelValue? Consensus(IReadOnlyCollection<LabelValue> votes, int overlap)
    {
        if (votes.Count == 0 || votes.Count < overlap)
        {
            return null;
        }

        var best = votes.GroupBy(v => v).Select(g => (g.Key, Count: g.Count())).OrderByDescending(g => g.Count).First();
        return best.Count * 2 > votes.Count ? best.Key : null;
    }

    /// <summary>
    /// Cohen's kappa of two raters over the items both rated: (po - pe) / (1 - pe), pe from each rater's marginals.
    /// Null when there are no items or pe = 1 (both always gave the one same label: agreement is undefined).
    /// </summary>
    public static double? CohensKappa<T>(IReadOnlyList<(T A, T B)> pairs)
        where T : notnull
    {
        if (pairs.Count == 0)
        {
            return null;
        }

        var n = (double)pairs.Count;
        var observed = pairs.Count(p => EqualityComparer<T>.Default.Equals(p.A, p.B)) / n;
        var a = pairs.GroupBy(p => p.A).ToDictionary(g => g.Key, g => g.Count() / n);
        var b = pairs.GroupBy(p => p.B).ToDictionary(g => g.Key, g => g.Count() / n);
        var expected = a.Sum(kv => kv.Value * b.GetValueOrDefault(kv.Key));
        return expected >= 1 ? null : (observed - expected) / (1 - expected);
    }

    /// <summary>
    /// Fleiss' kappa over items each rated by the same number of raters: <paramref name="counts"/>[i][j] is how many
    /// raters put item i in category j. Null when there are no items, fewer than two raters, or chance agreement is 1.
    /// </summary>
    public static double? FleissKappa(IReadOnlyList<int[]> counts)
    {
        if (counts.Count == 0)
        {
            return null;
        }

        var raters = counts[0].Sum();
        if (raters < 2 || counts.Any(row => row.Sum() != raters))
        {
            return null;
        }

        var categories = counts.Max(r => r.Length);
        var totals = new double[categories];
        double meanAgreement = 0;
        foreach (var row in counts)
        {
            long same = 0;
            for (var j = 0; j < row.Length; j++)
            {
                totals[j] += row[j];
                same += (long)row[j] * (row[j] - 1);
            }

            meanAgreement += same / (double)(raters * (raters - 1));
        }

        meanAgreement /= counts.Count;
        var all = (double)counts.Count * raters;
        var chance = totals.Sum(t => (t / all) * (t / all));
        return chance >= 1 ? null : (meanAgreement - chance) / (1 - chance);
    }

    /// <summary>
    /// Fleiss' kappa of a dataset: the images with exactly <paramref name="raters"/> votes (the overlap), each
    /// labeller's vote counted in its category.
    /// </summary>
    public static double? FleissKappa(IEnumerable<IReadOnlyCollection<LabelValue>> votesPerImage, int raters)
    {
        var rows = votesPerImage.Where(v => v.Count == raters).ToList();
        var index = rows.SelectMany(r => r).Distinct().Select((v, i) => (v, i)).ToDictionary(x => x.v, x => x.i);
        var counts = rows.Select(r =>
        {
            var row = new int[index.Count];
            foreach (var v in r)
            {
                row[index[v]]++;
            }

            return row;
        }).ToList();
        return FleissKappa(counts);
    }
}
