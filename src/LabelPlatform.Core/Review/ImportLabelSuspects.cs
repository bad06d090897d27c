using LabelPlatform.Core.Evaluation;

using LabelPlatform.Core.Labelling;

namespace LabelPlatform.Core.Review;

/// <summary>
/// Import labels that most nearest neighbours disagree with: the kNN-disagreement idea applied to a dataset's imported
/// labels, where no person has voted yet. Read from a finished leave-one-out evaluation run, whose stored per-query
/// top-K lists already rank every labelled image against all the others, so a review page computes nothing heavy.
/// </summary>
public static class ImportLabelSuspects
{
    public const int Neighbours = 10;

    /// <param name="report">A leave-one-out report: each query's top hits, with their classes at the time of the run.</param>
    /// <param name="currentClassOf">The dataset's ground truth now; an image relabelled since the run is left out.</param>
    /// <param name="humanTouched">Images with votes or a final label: the other queues cover them.</param>
    public static List<Disagreement> Find(EvaluationReport report, IReadOnlyDictionary<long, int> currentClassOf, IReadOnlySet<long> humanTouched, IReadOnlyDictionary<int, string> names)
    {
        ArgumentNullException.ThrowIfNull(report);
        var found = new List<Disagreement>();
        foreach (var query in report.QueryResults)
        {
            if (humanTouched.Contains(query.ImageId) || !currentClassOf.TryGetValue(query.ImageId, out var label) || label != query.ClassId)
            {
                continue;
            }

            var neighbours = query.Top.Take(Neighbours).Select(h => h.ClassId).ToList();
            if (Disagreement.Judge(query.ImageId, LabelValue.Of(label), names.GetValueOrDefault(label, $"class {label}"), neighbours, names) is { } suspect)
            {
                found.Add(suspect);
            }
        }

        return [.. found.OrderBy(d => d.LabelShare).ThenByDescending(d => d.NeighbourShare).ThenBy(d => d.ImageId)];
    }
}
