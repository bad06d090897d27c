using System.Numerics.Tensors;

namespace LabelPlatform.Core.Labelling.Queue;

/// <summary>The pure arithmetic behind the queue orders: a stratified shuffle, the neighbour margin and k-center greedy.</summary>
public static class QueueOrdering
{
    /// <summary>
    /// A deterministic random order of <paramref name="ids"/> in which each stratum (an import label; null is a
    /// stratum of its own) is spread evenly: an image's place is (its rank in a shuffle of its stratum + jitter) /
    /// stratum size, so a class of n images turns up about every N/n places and never as a run.
    /// </summary>
    public static long[] Stratified(IReadOnlyList<(long Id, int? Stratum)> ids, ulong seed)
    {
        var places = new (double Place, ulong Tie, long Id)[ids.Count];
        var filled = 0;
        foreach (var stratum in ids.GroupBy(i => i.Stratum))
        {
            var members = stratum.Select(i => (i.Id, Key: Mix(seed ^ (ulong)i.Id))).OrderBy(m => m.Key).ThenBy(m => m.Id).ToList();
            for (var rank = 0; rank < members.Count; rank++)
            {
                var jitter = (Mix(members[rank].Key) >> 11) * (1.0 / (1UL << 53));
                places[filled++] = ((rank + jitter) / members.Count, members[rank].Key, members[rank].Id);
            }
        }

        return [.. places.OrderBy(p => p.Place).ThenBy(p => p.Tie).Select(p => p.Id)];
    }

    /// <summary>Where a labeller starts in a shared order: a stable (not per-process) hash of the dataset and the user.</summary>
    public static int StartFor(int datasetId, string userId, int length)
    {
        if (length == 0)
        {
            return 0;
        }

        var hash = (ulong)datasetId * 0x9E3779B97F4A7C15UL;
        foreach (var ch in userId)
        {
            hash = Mix(hash ^ ch);
        }

        return (int)(hash % (ulong)length);
    }

    /// <summary>
    /// The share of the top class among the labelled neighbours minus the share of the second (1 when all agree, 0 on a
    /// tie); null without any labelled neighbour, so such an image cannot be ranked by uncertainty.
    /// </summary>
    public static double? Margin(IReadOnlyList<int> neighbourClasses)
    {
        if (neighbourClasses.Count == 0)
        {
            return null;
        }

        var counts = neighbourClasses.GroupBy(c => c).Select(g => g.Count()).OrderDescending().ToList();
        var second = counts.Count > 1 ? counts[1] : 0;
        return (counts[0] - second) / (double)neighbourClasses.Count;
    }

    /// <summary>
    /// k-center greedy (Sener &amp; Savarese; what LightlyStudio's diversity selection does): starting from
    /// <paramref name="first"/>, each next pick is the vector farthest (cosine distance of unit vectors) from every pick
    /// so far. Returns up to <paramref name="count"/> row indexes of <paramref name="vectors"/> (rows of <paramref name="dimension"/>).
    /// </summary>
    public static List<int> KCenter(ReadOnlySpan<float> vectors, int dimension, int count, int first)
    {
        var rows = vectors.Length / dimension;
        var picks = new List<int>(Math.Min(count, rows));
        if (rows == 0 || count <= 0)
        {
            return picks;
        }

        // nearest[i]: the highest similarity of row i to any pick, i.e. 1 - its distance to the picked set.
        var nearest = new float[rows];
        Array.Fill(nearest, float.NegativeInfinity);
        var next = first;
        while (picks.Count < Math.Min(count, rows))
        {
            picks.Add(next);
            var pick = vectors.Slice(next * dimension, dimension);
            var farthest = -1;
            var lowest = float.PositiveInfinity;
            for (var i = 0; i < rows; i++)
            {
                var similarity = TensorPrimitives.Dot(pick, vectors.Slice(i * dimension, dimension));
                if (similarity > nearest[i])
                {
                    nearest[i] = similarity;
                }

                if (nearest[i] < lowest && i != next && !float.IsPositiveInfinity(nearest[i]))
                {
                    lowest = nearest[i];
                    farthest = i;
                }
            }

            nearest[next] = float.PositiveInfinity;
            if (farthest < 0)
            {
                break;
            }

            next = farthest;
        }

        return picks;
    }

    /// <summary>SplitMix64's finaliser: a cheap, well-mixed 64-bit hash that is the same in every process.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
