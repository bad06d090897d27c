using LabelPlatform.Core.Search;

namespace LabelPlatform.Tests.Search;

/// <summary>Seeded random unit vectors and a naive reference search, independent of the code under test.</summary>
internal static class TestVectors
{
    public static float[] Unit(Random random, int dimension)
    {
        var v = new float[dimension];
        double norm = 0;
        for (var i = 0; i < dimension; i++)
        {
            // Box-Muller, so the direction is uniform on the sphere.
            var g = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            v[i] = (float)g;
            norm += g * g;
        }

        norm = Math.Sqrt(norm);
        for (var i = 0; i < dimension; i++)
        {
            v[i] = (float)(v[i] / norm);
        }

        return v;
    }

    public static List<float[]> Units(int seed, int count, int dimension)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Unit(random, dimension)).ToList();
    }

    public static double Dot(float[] a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Score every item in double precision, full sort (score desc, id asc), take k.</summary>
    public static List<(long Id, double Score)> Naive(IEnumerable<Item> items, float[] query, int k, int? classId = null, long? excludeId = null) =>
        items.Where(x => (classId is null || x.ClassId == classId) && x.Id != excludeId)
            .Select(x => (x.Id, Score: Dot(x.Vector, query)))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Id)
            .Take(k)
            .ToList();

    public sealed record Item(long Id, int? ClassId, float[] Vector);

    /// <summary>count items with distinct, scrambled ids (negative and large ones included) and classes 0-4 or none.</summary>
    public static List<Item> Items(int seed, int count, int dimension)
    {
        var random = new Random(seed);
        var ids = new HashSet<long>();
        while (ids.Count < count)
        {
            ids.Add(random.NextInt64(-1_000_000_000_000, 1_000_000_000_000));
        }

        return ids.Select(id => new Item(id, random.Next(6) is var c && c == 5 ? null : c, Unit(random, dimension))).ToList();
    }

    public static void AddAll(ExactVectorIndex index, IReadOnlyList<Item> items)
    {
        // Half one at a time (growth by doubling), half in one batch.
        var half = items.Count / 2;
        foreach (var item in items.Take(half))
        {
            index.Add(item.Id, item.ClassId, item.Vector);
        }

        var rest = items.Skip(half).ToList();
        index.AddRange(rest.Select(x => x.Id).ToArray(), rest.Select(x => x.ClassId).ToArray(), rest.SelectMany(x => x.Vector).ToArray());
    }
}
