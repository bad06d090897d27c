using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Review;

namespace LabelPlatform.Tests.Labelling;

public class ImportLabelSuspectsTests
{
    private static readonly Dictionary<int, string> Names = new() { [1] = "a", [2] = "b" };

    private static float[] Unit(float x, float y)
    {
        float[] v = [x, y];
        VectorCodec.Normalize(v);
        return v;
    }

    /// <summary>
    /// Leave-one-out over four class-a images near (1, 0), four class-b images near (0, 1), and image 9, imported as a
    /// but lying among the b's. At K = 5: image 9's neighbours are the four b's, then an a (own share 1/5); every
    /// other image keeps three of its own class among its five (3/5).
    /// </summary>
    private static EvaluationReport Report()
    {
        (long Id, int Class, float[] V)[] items =
        [
            (1, 1, Unit(1, 0.1f)), (2, 1, Unit(1, 0.2f)), (3, 1, Unit(1, 0.3f)), (4, 1, Unit(1, 0.4f)),
            (5, 2, Unit(0.1f, 1)), (6, 2, Unit(0.2f, 1)), (7, 2, Unit(0.05f, 1)), (8, 2, Unit(0.15f, 1)),
            (9, 1, Unit(0.3f, 1)),
        ];
        var data = new EvaluationData
        {
            Queries = [.. items.Select(i => new EvaluationItem(i.Id, i.Class))],
            Candidates = [.. items.Select(i => new EvaluationItem(i.Id, i.Class))],
            Classes = [new ClassInfo(1, "a", false), new ClassInfo(2, "b", false)],
            QueryVectors = [.. items.SelectMany(i => i.V)],
            CandidateVectors = [.. items.SelectMany(i => i.V)],
            Dimension = 2,
        };
        return Evaluator.Evaluate(data, new EvaluationSettings([5], 5, 7));
    }

    private static Dictionary<long, int> Imported() => new() { [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 2, [6] = 2, [7] = 2, [8] = 2, [9] = 1 };

    [Fact]
    public void An_import_label_most_neighbours_disagree_with_is_a_suspect()
    {
        var found = ImportLabelSuspects.Find(Report(), Imported(), new HashSet<long>(), Names);

        var suspect = Assert.Single(found);
        Assert.Equal((9L, 1, "a", 2, "b"), (suspect.ImageId, suspect.Label.ClassId!.Value, suspect.LabelName, suspect.NeighbourClassId, suspect.NeighbourClassName));
        Assert.Equal(0.2, suspect.LabelShare, 6);
        Assert.Equal(0.8, suspect.NeighbourShare, 6);
    }

    [Fact]
    public void Images_people_labelled_or_relabelled_since_the_run_are_left_out()
    {
        Assert.Empty(ImportLabelSuspects.Find(Report(), Imported(), new HashSet<long> { 9 }, Names));
        var relabelled = Imported();
        relabelled[9] = 2;
        Assert.Empty(ImportLabelSuspects.Find(Report(), relabelled, new HashSet<long>(), Names));
        relabelled.Remove(9);
        Assert.Empty(ImportLabelSuspects.Find(Report(), relabelled, new HashSet<long>(), Names));
    }
}
