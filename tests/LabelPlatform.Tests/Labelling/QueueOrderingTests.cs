using LabelPlatform.Core.Labelling.Queue;

namespace LabelPlatform.Tests.Labelling;

/// <summary>The queue orders' arithmetic, against hand-worked cases.</summary>
public class QueueOrderingTests
{
    [Fact]
    public void The_stratified_order_is_a_deterministic_permutation_that_never_runs_one_stratum()
    {
        // Three strata of 30, 30 and 3 images, stored stratum by stratum (as an import stores folders).
        var ids = Enumerable.Range(1, 63).Select(i => ((long)i, (int?)(i <= 30 ? 1 : i <= 60 ? 2 : 3))).ToList();

        var order = QueueOrdering.Stratified(ids, seed: 42);
        var again = QueueOrdering.Stratified(ids, seed: 42);
        var other = QueueOrdering.Stratified(ids, seed: 43);

        Assert.Equal(ids.Select(i => i.Item1).Order(), order.Order());
        Assert.Equal(order, again);
        Assert.NotEqual(order, other);
        Assert.NotEqual(ids.Select(i => i.Item1), order);
        var stratum = order.Select(id => id <= 30 ? 1 : id <= 60 ? 2 : 3).ToList();
        var longestRun = stratum.Select((s, i) => stratum.Skip(i).TakeWhile(x => x == s).Count()).Max();
        Assert.True(longestRun <= 3, $"a run of {longestRun} images from one stratum");
        // The small stratum is spread out: one of its three in each third of the order.
        var places = order.Select((id, place) => (id, place)).Where(x => x.id > 60).Select(x => x.place / 21).Order().ToList();
        Assert.Equal([0, 1, 2], places);
    }

    [Fact]
    public void Every_window_of_fifty_over_Caltech_sized_classes_spans_at_least_thirty_classes()
    {
        var ids = CaltechShape();
        var order = QueueOrdering.Stratified(ids, seed: 7);
        var classOf = ids.ToDictionary(i => i.Id, i => i.Stratum);

        var fewest = Enumerable.Range(0, order.Length / 50).Min(w => order.Skip(w * 50).Take(50).Select(id => classOf[id]).Distinct().Count());

        Assert.True(fewest >= 30, $"a window of 50 spans only {fewest} classes");
    }

    [Fact]
    public void A_labeller_start_is_stable_and_differs_between_labellers()
    {
        Assert.Equal(QueueOrdering.StartFor(3, "alice", 9144), QueueOrdering.StartFor(3, "alice", 9144));
        var starts = Enumerable.Range(0, 20).Select(u => QueueOrdering.StartFor(3, $"user-{u}", 9144)).ToList();
        Assert.True(starts.Distinct().Count() >= 18);
        Assert.All(starts, s => Assert.InRange(s, 0, 9143));
        Assert.Equal(0, QueueOrdering.StartFor(3, "alice", 0));
    }

    [Theory]
    [InlineData(new[] { 1, 1, 1, 2 }, 0.5)]   // (3 - 1) / 4
    [InlineData(new[] { 4, 4, 4 }, 1.0)]      // all agree
    [InlineData(new[] { 1, 2 }, 0.0)]         // a tie
    [InlineData(new[] { 1, 2, 3, 3, 1 }, 0.0)] // 2 vs 2
    [InlineData(new[] { 5, 5, 6, 7, 5 }, 0.4)] // (3 - 1) / 5
    public void The_margin_is_the_top_share_minus_the_second(int[] neighbours, double expected) =>
        Assert.Equal(expected, QueueOrdering.Margin(neighbours)!.Value, 9);

    [Fact]
    public void No_labelled_neighbour_gives_no_margin() => Assert.Null(QueueOrdering.Margin([]));

    [Fact]
    public void K_center_picks_each_next_vector_farthest_from_all_picked_so_far()
    {
        // Unit vectors at angles 0, 10, 180, 90 and 100 degrees in the plane.
        float[] At(double degrees) => [(float)Math.Cos(degrees * Math.PI / 180), (float)Math.Sin(degrees * Math.PI / 180)];
        var vectors = new[] { At(0), At(10), At(180), At(90), At(100) }.SelectMany(v => v).ToArray();

        var picks = QueueOrdering.KCenter(vectors, 2, 5, first: 0);

        // From 0°: 180° is farthest. Then the one farthest from both 0° and 180° is 90° (distance to the nearer pick is
        // largest), not 100° (nearer 180°) and not 10°. Then 100° (10° from 90°) and 10° (10° from 0°) tie on distance;
        // a k-center that remembered only the last pick would take 10° right after 180°.
        Assert.Equal(0, picks[0]);
        Assert.Equal(2, picks[1]);
        Assert.Equal(3, picks[2]);
        Assert.Equal([1, 4], picks.Skip(3).Order());
        Assert.Equal(5, picks.Distinct().Count());
    }

    /// <summary>Caltech 101's class sizes read from the shared copy's folders (the images themselves are not needed).</summary>
    internal static List<(long Id, int? Stratum)> CaltechShape()
    {
        var root = LabelPlatform.Testing.SharedPaths.Caltech;
        var ids = new List<(long, int?)>();
        var klass = 0;
        long id = 1;
        foreach (var folder in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            klass++;
            foreach (var _ in Directory.EnumerateFiles(folder))
            {
                ids.Add((id++, klass));
            }
        }

        return ids;
    }
}
