using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Tests.Evaluation;

public class SplitMakerTests
{
    private static readonly Dictionary<int, string> Names = new() { [1] = "accordion", [2] = "airplanes", [3] = "tiny" };

    private static List<(long, int)> Images() =>
    [
        .. Enumerable.Range(1, 30).Select(i => ((long)i, 1)),
        .. Enumerable.Range(100, 45).Select(i => ((long)i, 2)),
        .. Enumerable.Range(500, 7).Select(i => ((long)i, 3)),
    ];

    [Fact]
    public void Article_protocol_takes_5_queries_and_15_candidates_per_class_and_skips_small_classes()
    {
        var plan = SplitMaker.Article(Images(), Names, 2021);

        foreach (var cls in new[] { 1, 2 })
        {
            Assert.Equal(5, plan.Images.Count(i => i.ClassId == cls && i.Role == SplitRole.Query));
            Assert.Equal(15, plan.Images.Count(i => i.ClassId == cls && i.Role == SplitRole.Candidate));
        }

        Assert.All(plan.Images.Where(i => i.ClassId == 3), i => Assert.Equal(SplitRole.Training, i.Role));
        var warning = Assert.Single(plan.Warnings);
        Assert.Contains("tiny", warning, StringComparison.Ordinal);
        Assert.Equal(Images().Count, plan.Images.Select(i => i.ImageId).Distinct().Count());
        Assert.Equal(10 + 25 + 7, plan.Count(SplitRole.Training));
    }

    [Fact]
    public void Same_seed_same_split_other_seed_other_split_whatever_the_input_order()
    {
        var shuffled = Images();
        new Random(4).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));

        var first = SplitMaker.Article(Images(), Names, 2021).Images.OrderBy(i => i.ImageId).ToList();
        var again = SplitMaker.Article(shuffled, Names, 2021).Images.OrderBy(i => i.ImageId).ToList();
        var other = SplitMaker.Article(Images(), Names, 2022).Images.OrderBy(i => i.ImageId).ToList();

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Leave_one_out_makes_every_image_a_query_and_a_candidate()
    {
        var plan = SplitMaker.LeaveOneOut([(1, 1), (2, 1), (3, 2)], Names);

        Assert.All(plan.Images, i => Assert.Equal(SplitRole.QueryAndCandidate, i.Role));
        Assert.Equal(3, plan.Count(SplitRole.Query));
        Assert.Equal(3, plan.Count(SplitRole.Candidate));
        Assert.Contains("airplanes", Assert.Single(plan.Warnings), StringComparison.Ordinal);
    }
}
