using System.Globalization;

namespace LabelPlatform.Core.Evaluation;

/// <summary>A labelled image offered to a split: its row, its class and its content SHA-256 (what the draw orders by).</summary>
public readonly record struct SplitInput(long ImageId, int ClassId, string Sha256);

public sealed record SplitAssignment(long ImageId, int ClassId, SplitRole Role);

public sealed record SplitPlan(IReadOnlyList<SplitAssignment> Images, IReadOnlyList<string> Warnings)
{
    public int Count(SplitRole role) => Images.Count(i => i.Role == role || (i.Role == SplitRole.QueryAndCandidate && role is SplitRole.Query or SplitRole.Candidate));
}

/// <summary>
/// Draws splits from labelled images. Pure and deterministic, and independent of the install: classes are taken in
/// ordinal name order and images in content (SHA-256) order before the seeded shuffle, so the same folder and seed
/// give the same split whatever row ids an import's timing handed out.
/// </summary>
public static class SplitMaker
{
    /// <summary>
    /// The article protocol: per class, images in content order are shuffled with a generator seeded once for the
    /// whole split; the first queries + candidates are the evaluation images, of which the first
    /// <paramref name="queriesPerClass"/> are queries. Everything else, including classes with too few images, is training.
    /// </summary>
    public static SplitPlan Article(IEnumerable<SplitInput> labelled, IReadOnlyDictionary<int, string> classNames, int seed, int queriesPerClass = 5, int candidatesPerClass = 15)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queriesPerClass, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidatesPerClass, 1);
        var random = new Random(seed);
        var assignments = new List<SplitAssignment>();
        var warnings = new List<string>();
        var perClass = queriesPerClass + candidatesPerClass;
        foreach (var (classId, images) in ByClass(labelled, classNames))
        {
            if (images.Length < perClass)
            {
                warnings.Add($"class '{Name(classNames, classId)}' has {images.Length} images, fewer than {perClass}: skipped (its images are training)");
                assignments.AddRange(images.Select(id => new SplitAssignment(id, classId, SplitRole.Training)));
                continue;
            }

            random.Shuffle(images);
            for (var i = 0; i < images.Length; i++)
            {
                var role = i < queriesPerClass ? SplitRole.Query : i < perClass ? SplitRole.Candidate : SplitRole.Training;
                assignments.Add(new SplitAssignment(images[i], classId, role));
            }
        }

        return new SplitPlan(assignments, warnings);
    }

    /// <summary>
    /// Class-disjoint, as deep metric learning benchmarks split CUB-200, Cars196 and SOP: of the classes with at least
    /// <paramref name="minImages"/> images, a seeded half is held out entirely for evaluation (every image of them a
    /// query against all the others); every other image trains. A model trained on this split has never seen a
    /// class it is evaluated on, so the evaluation says how it does on new classes.
    /// </summary>
    public static SplitPlan ClassDisjoint(IEnumerable<SplitInput> labelled, IReadOnlyDictionary<int, string> classNames, int seed, int minImages = 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minImages, 2);
        var classes = ByClass(labelled, classNames);
        var eligible = classes.Where(c => c.Images.Length >= minImages).Select(c => c.ClassId).ToArray();
        new Random(seed).Shuffle(eligible);
        var heldOut = eligible.Take(eligible.Length / 2).ToHashSet();
        var warnings = classes.Where(c => c.Images.Length < minImages)
            .Select(c => $"class '{Name(classNames, c.ClassId)}' has {c.Images.Length} images, fewer than {minImages}: never held out (its images are training)")
            .ToList();
        var assignments = classes.SelectMany(c => c.Images.Select(id => new SplitAssignment(id, c.ClassId, heldOut.Contains(c.ClassId) ? SplitRole.QueryAndCandidate : SplitRole.Training)));
        return new SplitPlan([.. assignments], warnings);
    }

    /// <summary>Leave-one-out: every labelled image is a query against all the others. Classes of one image are named (their queries have nothing relevant).</summary>
    public static SplitPlan LeaveOneOut(IEnumerable<SplitInput> labelled, IReadOnlyDictionary<int, string> classNames)
    {
        var classes = ByClass(labelled, classNames);
        var warnings = classes.Where(c => c.Images.Length == 1)
            .Select(c => $"class '{Name(classNames, c.ClassId)}' has a single image: its query has no relevant candidate and is left out of the means")
            .ToList();
        return new SplitPlan([.. classes.SelectMany(c => c.Images.Select(id => new SplitAssignment(id, c.ClassId, SplitRole.QueryAndCandidate)))], warnings);
    }

    /// <summary>Classes in ordinal name order, each with its images in content order.</summary>
    private static List<(int ClassId, long[] Images)> ByClass(IEnumerable<SplitInput> labelled, IReadOnlyDictionary<int, string> classNames) =>
        [.. labelled.GroupBy(x => x.ClassId)
            .OrderBy(g => classNames.GetValueOrDefault(g.Key, ""), StringComparer.Ordinal).ThenBy(g => g.Key)
            .Select(g => (g.Key, g.OrderBy(x => x.Sha256, StringComparer.Ordinal).ThenBy(x => x.ImageId).Select(x => x.ImageId).ToArray()))];

    private static string Name(IReadOnlyDictionary<int, string> classNames, int classId) =>
        classNames.GetValueOrDefault(classId, classId.ToString(CultureInfo.InvariantCulture));
}
