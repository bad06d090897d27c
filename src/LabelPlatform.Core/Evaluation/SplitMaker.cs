namespace LabelPlatform.Core.Evaluation;

public sealed record SplitAssignment(long ImageId, int ClassId, SplitRole Role);

public sealed record SplitPlan(IReadOnlyList<SplitAssignment> Images, IReadOnlyList<string> Warnings)
{
    public int Count(SplitRole role) => Images.Count(i => i.Role == role || (i.Role == SplitRole.QueryAndCandidate && role is SplitRole.Query or SplitRole.Candidate));
}

/// <summary>Draws splits from labelled images. Pure and deterministic: the same images, protocol and seed give the same split.</summary>
public static class SplitMaker
{
    /// <summary>
    /// The article protocol: per class (in ordinal name order), images in id order are shuffled with a generator
    /// seeded once for the whole split; the first queries + candidates are the evaluation images, of which the first
    /// <paramref name="queriesPerClass"/> are queries. Everything else, including classes with too few images, is training.
    /// </summary>
    public static SplitPlan Article(IEnumerable<(long ImageId, int ClassId)> labelled, IReadOnlyDictionary<int, string> classNames, int seed, int queriesPerClass = 5, int candidatesPerClass = 15)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queriesPerClass, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidatesPerClass, 1);
        var random = new Random(seed);
        var assignments = new List<SplitAssignment>();
        var warnings = new List<string>();
        var perClass = queriesPerClass + candidatesPerClass;
        foreach (var group in labelled.GroupBy(x => x.ClassId).OrderBy(g => classNames.GetValueOrDefault(g.Key, ""), StringComparer.Ordinal).ThenBy(g => g.Key))
        {
            var images = group.Select(x => x.ImageId).Order().ToArray();
            if (images.Length < perClass)
            {
                warnings.Add($"class '{classNames.GetValueOrDefault(group.Key, group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}' has {images.Length} images, fewer than {perClass}: skipped (its images are training)");
                assignments.AddRange(images.Select(id => new SplitAssignment(id, group.Key, SplitRole.Training)));
                continue;
            }

            random.Shuffle(images);
            for (var i = 0; i < images.Length; i++)
            {
                var role = i < queriesPerClass ? SplitRole.Query : i < perClass ? SplitRole.Candidate : SplitRole.Training;
                assignments.Add(new SplitAssignment(images[i], group.Key, role));
            }
        }

        return new SplitPlan(assignments, warnings);
    }

    /// <summary>Leave-one-out: every labelled image is a query against all the others. Classes of one image are named (their queries have nothing relevant).</summary>
    public static SplitPlan LeaveOneOut(IEnumerable<(long ImageId, int ClassId)> labelled, IReadOnlyDictionary<int, string> classNames)
    {
        var images = labelled.OrderBy(x => x.ImageId).ToList();
        var warnings = images.GroupBy(x => x.ClassId).Where(g => g.Count() == 1)
            .Select(g => $"class '{classNames.GetValueOrDefault(g.Key, g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}' has a single image: its query has no relevant candidate and is left out of the means")
            .ToList();
        return new SplitPlan([.. images.Select(x => new SplitAssignment(x.ImageId, x.ClassId, SplitRole.QueryAndCandidate))], warnings);
    }
}
