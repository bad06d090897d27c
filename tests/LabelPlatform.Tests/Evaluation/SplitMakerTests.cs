using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Tests.Evaluation;

public class SplitMakerTests
{
    private static readonly Dictionary<int, string> Names = new() { [1] = "accordion", [2] = "airplanes", [3] = "tiny" };

    /// <summary>A stand-in for an image's content hash: any fixed text per image.</summary>
    private static string Content(long id) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(id)));

    private static List<SplitInput> Images() =>
    [
        .. Enumerable.Range(1, 30).Select(i => new SplitInput(i, 1, Content(i))),
        .. Enumerable.Range(100, 45).Select(i => new SplitInput(i, 2, Content(i))),
        .. Enumerable.Range(500, 7).Select(i => new SplitInput(i, 3, Content(i))),
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
        var plan = SplitMaker.LeaveOneOut([new(1, 1, "a"), new(2, 1, "b"), new(3, 2, "c")], Names);

        Assert.All(plan.Images, i => Assert.Equal(SplitRole.QueryAndCandidate, i.Role));
        Assert.Equal(3, plan.Count(SplitRole.Query));
        Assert.Equal(3, plan.Count(SplitRole.Candidate));
        Assert.Contains("airplanes", Assert.Single(plan.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void The_draw_follows_content_not_row_ids()
    {
        // The same images imported in another order get other row ids: membership by content must not change.
        var images = Images();
        var renumbered = images.Select((image, i) => image with { ImageId = 10_000 + ((i * 37) % images.Count) }).ToList();

        static List<(string, SplitRole)> ByContent(SplitPlan plan, List<SplitInput> input) =>
            [.. plan.Images.Join(input, a => a.ImageId, i => i.ImageId, (a, i) => (i.Sha256, a.Role)).OrderBy(x => x.Sha256, StringComparer.Ordinal)];

        Assert.Equal(ByContent(SplitMaker.Article(images, Names, 2021), images), ByContent(SplitMaker.Article(renumbered, Names, 2021), renumbered));
        Assert.Equal(ByContent(SplitMaker.ClassDisjoint(images, Names, 7), images), ByContent(SplitMaker.ClassDisjoint(renumbered, Names, 7), renumbered));
    }

    [Fact]
    public void Class_disjoint_holds_out_half_of_the_big_classes_entirely_and_trains_on_the_rest()
    {
        var names = Enumerable.Range(1, 9).ToDictionary(c => c, c => $"class-{c}");
        // Classes 1-8 have 20+ images, class 9 has 5 (never held out).
        var images = Enumerable.Range(1, 9).SelectMany(c => Enumerable.Range(0, c == 9 ? 5 : 20 + c).Select(i => new SplitInput((c * 1000) + i, c, Content((c * 1000) + i)))).ToList();

        var plans = Enumerable.Range(1, 5).Select(seed => SplitMaker.ClassDisjoint(images, names, seed)).ToList();

        foreach (var plan in plans)
        {
            var roles = plan.Images.GroupBy(i => i.ClassId).ToDictionary(g => g.Key, g => g.Select(i => i.Role).Distinct().Single());
            Assert.Equal(4, roles.Count(r => r.Value == SplitRole.QueryAndCandidate));
            Assert.Equal(SplitRole.Training, roles[9]);
            Assert.Equal(images.Count, plan.Images.Count);
            Assert.Contains("class-9", Assert.Single(plan.Warnings), StringComparison.Ordinal);
        }

        // The seed picks which classes: five seeds do not all hold out the same four.
        Assert.True(plans.Select(p => string.Join(',', p.Images.Where(i => i.Role != SplitRole.Training).Select(i => i.ClassId).Distinct().Order())).Distinct().Count() > 1);
    }
}
