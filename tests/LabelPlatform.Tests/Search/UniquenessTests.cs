using LabelPlatform.Core.Search;

namespace LabelPlatform.Tests.Search;

/// <summary>
/// Uniqueness (distance to the nearest other vector): hand-made unit vectors on a circle, whose nearest neighbours
/// and distances can be read off the angles, and a tiled, parallel run against a naive all-pairs reference.
/// </summary>
public class UniquenessTests
{
    // Angles in degrees, ids 1..5. Nearest other by angle: 1↔2 at 10°, 3→2 at 20°, 4→3 at 70°, 5→4 at 100° (5→1 is 160°).
    private static readonly double[] Angles = [0, 10, 30, 100, 200];

    private static ExactVectorIndex Circle()
    {
        var index = new ExactVectorIndex(2);
        for (var i = 0; i < Angles.Length; i++)
        {
            var radians = Angles[i] * Math.PI / 180;
            index.Add(i + 1, null, [(float)Math.Cos(radians), (float)Math.Sin(radians)]);
        }

        return index;
    }

    private static Dictionary<long, float> Distances(ExactVectorIndex index, Func<long, bool>? include = null, int threads = 1, int? tile = null)
    {
        var rows = index.Rows();
        var best = NearestOther.BestScores(rows, include, threads, CancellationToken.None, tile);
        return Enumerable.Range(0, rows.Count).Where(r => !float.IsNegativeInfinity(best[r])).ToDictionary(r => rows.Ids[r], r => 1 - best[r]);
    }

    private static double CosineDistance(double degrees) => 1 - Math.Cos(degrees * Math.PI / 180);

    [Theory]
    [InlineData(1, null)]
    [InlineData(3, 2)] // tiles of two rows and three workers: pairs cross tile borders
    public void Most_unique_first_on_hand_made_vectors(int threads, int? tile)
    {
        var distances = Distances(Circle(), threads: threads, tile: tile);

        Assert.Equal(CosineDistance(10), distances[1], 5);
        Assert.Equal(CosineDistance(10), distances[2], 5);
        Assert.Equal(CosineDistance(20), distances[3], 5);
        Assert.Equal(CosineDistance(70), distances[4], 5);
        Assert.Equal(CosineDistance(100), distances[5], 5);
        // 1 and 2 are each other's nearest (tied): lower id first.
        Assert.Equal([5L, 4, 3, 1, 2], distances.OrderByDescending(d => d.Value).ThenBy(d => d.Key).Select(d => d.Key));
    }

    [Fact]
    public void Rows_left_out_are_neither_queries_nor_neighbours()
    {
        // Without image 2: 1's nearest is 3 (30°), 3's is 1 (30°); 4→3 and 5→4 as before.
        var distances = Distances(Circle(), include: id => id != 2);

        Assert.False(distances.ContainsKey(2));
        Assert.Equal(CosineDistance(30), distances[1], 5);
        Assert.Equal(CosineDistance(30), distances[3], 5);
        Assert.Equal([5L, 4, 1, 3], distances.OrderByDescending(d => d.Value).ThenBy(d => d.Key).Select(d => d.Key));
    }

    [Fact]
    public void A_lone_vector_has_no_uniqueness()
    {
        var index = new ExactVectorIndex(2);
        index.Add(7, null, [1f, 0f]);

        Assert.Empty(Distances(index));
    }

    [Fact]
    public void Tiled_parallel_run_matches_a_naive_all_pairs_scan()
    {
        // Small segments too, so rows come from several storage segments; 27-d, so the blocked sums have a tail.
        var vectors = TestVectors.Units(seed: 11, count: 301, dimension: 27);
        var index = new ExactVectorIndex(27, segmentFloats: 27 * 64, chunkFloats: 27 * 64, parallelMinFloats: long.MaxValue);
        for (var i = 0; i < vectors.Count; i++)
        {
            index.Add(1000 + i, null, vectors[i]);
        }

        var distances = Distances(index, threads: 4, tile: 17);

        for (var i = 0; i < vectors.Count; i++)
        {
            var best = Enumerable.Range(0, vectors.Count).Where(j => j != i).Max(j => TestVectors.Dot(vectors[i], vectors[j]));
            Assert.Equal(1 - best, distances[1000 + i], 4);
        }
    }
}
