using LabelPlatform.Core.Labelling;

namespace LabelPlatform.Tests.Labelling;

public class AgreementTests
{
    private static readonly LabelValue A = LabelValue.Of(1), B = LabelValue.Of(2), C = LabelValue.Of(3);

    public static TheoryData<LabelValue[], int, LabelValue?> ConsensusCases() => new()
    {
        { [A], 1, A },            // one labeller is enough at overlap 1
        { [A], 2, null },         // overlap not met yet
        { [A, A], 2, A },
        { [A, B], 2, null },      // a 1-1 tie goes to review
        { [A, A, B], 3, A },      // 2 of 3 is a majority
        { [A, B, C], 3, null },
        { [A, A, B, B], 3, null }, // more votes than the overlap, still no strict majority
        { [A, LabelValue.Reject, LabelValue.Reject], 3, LabelValue.Reject },
    };

    [Theory]
    [MemberData(nameof(ConsensusCases))]
    public void Consensus_is_a_strict_majority_once_the_overlap_is_met(LabelValue[] votes, int overlap, LabelValue? expected)
    {
        Assert.Equal(expected, Agreement.Consensus(votes, overlap));
    }

    private static List<(string, string)> Table(int yesYes, int yesNo, int noYes, int noNo) =>
        [.. Enumerable.Repeat(("yes", "yes"), yesYes), .. Enumerable.Repeat(("yes", "no"), yesNo), .. Enumerable.Repeat(("no", "yes"), noYes), .. Enumerable.Repeat(("no", "no"), noNo)];

    [Fact]
    public void Cohens_kappa_matches_the_wikipedia_worked_example()
    {
        // en.wikipedia.org/wiki/Cohen%27s_kappa, "Simple example": 50 applications, both yes 20, A yes B no 5,
        // A no B yes 10, both no 15; po = 0.7, pe = 0.5, kappa = 0.4.
        Assert.Equal(0.4, Agreement.CohensKappa(Table(20, 5, 10, 15))!.Value, 10);
    }

    [Fact]
    public void Cohens_kappa_matches_the_wikipedia_same_percentages_different_kappa_tables()
    {
        // Same article, "Same percentages but different numbers": both tables agree on 60 of 100, yet
        // kappa = 0.1304 for (45, 15, 25, 15) and 0.2593 for (25, 35, 5, 35).
        Assert.Equal(0.1304, Agreement.CohensKappa(Table(45, 15, 25, 15))!.Value, 4);
        Assert.Equal(0.2593, Agreement.CohensKappa(Table(25, 35, 5, 35))!.Value, 4);
    }

    [Fact]
    public void Cohens_kappa_is_undefined_without_items_or_without_variation()
    {
        Assert.Null(Agreement.CohensKappa(new List<(string, string)>()));
        Assert.Null(Agreement.CohensKappa(Table(10, 0, 0, 0)));
        // Perfect agreement with two categories is 1.
        Assert.Equal(1.0, Agreement.CohensKappa(Table(10, 0, 0, 5))!.Value, 10);
    }

    [Fact]
    public void Fleiss_kappa_matches_the_wikipedia_worked_example()
    {
        // en.wikipedia.org/wiki/Fleiss%27_kappa, "Worked example": 10 subjects, 14 raters, 5 categories;
        // P-bar = 0.378, Pe-bar = 0.213, kappa = 0.210 (0.20993 unrounded).
        int[][] counts =
        [
            [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
            [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
        ];
        Assert.Equal(0.20993, Agreement.FleissKappa(counts)!.Value, 5);
    }

    [Fact]
    public void Fleiss_kappa_over_votes_uses_the_images_with_exactly_the_overlap()
    {
        // The three-vote image is left out. By hand over the other 4: P-bar = (1 + 1 + 0 + 1) / 4 = 0.75;
        // category shares A 3/8, B 4/8, C 1/8 -> Pe = (16 + 9 + 1) / 64 = 0.40625; kappa = 0.34375 / 0.59375 = 0.578947.
        IReadOnlyCollection<LabelValue>[] votes = [[A, A], [B, B], [A, C], [A, B, B], [B, B]];
        Assert.Equal(0.578947, Agreement.FleissKappa(votes, 2)!.Value, 5);
        Assert.Null(Agreement.FleissKappa(Array.Empty<IReadOnlyCollection<LabelValue>>(), 2));
    }
}
