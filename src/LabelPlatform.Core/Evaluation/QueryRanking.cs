using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LabelPlatform.Core.Evaluation;

/// <summary>
/// One query's ranking without a full sort: what the metrics need is the top K results and the rank of every
/// relevant candidate, and the rank of a relevant candidate is one plus the number of keys ahead of it.
/// </summary>
/// <remarks>
/// One pass keeps the top <c>depth</c> keys in a short sorted buffer and splits the others into relevant and
/// not; the R relevant keys are sorted (R log R); then each other key ahead of the last relevant one is placed
/// among them by a branch-free binary search over a power-of-two table (its compares compile to conditional moves,
/// so a key costs ~log2 R dependent loads and no mispredicted branches; the branching BinarySearch it replaces
/// mispredicted about every other step and took as long as the scores).
/// The order is (score descending, candidate index ascending), so ties never depend on thread timing.
/// </remarks>
internal static class QueryRanking
{
    /// <summary>Buffers one worker reuses for every query it ranks.</summary>
    internal sealed class Workspace
    {
        private ulong[] _others = [];
        private ulong[] _relevant = [];
        private ulong[] _top = [];
        private int[] _ranks = [];
        private int[] _ahead = [];

        public ulong[] Others(int n) => _others.Length >= n ? _others : _others = new ulong[n];

        // Room for every candidate plus the padding up to a power of two.
        public ulong[] Relevant(int n) => _relevant.Length >= 2 * n ? _relevant : _relevant = new ulong[Math.Max(2 * n, 2)];

        public ulong[] Top(int depth) => _top.Length >= depth ? _top : _top = new ulong[depth];

        public Span<int> Ranks(int count) => (_ranks.Length >= count ? _ranks : _ranks = new int[Math.Max(count, _ranks.Length * 2)]).AsSpan(0, count);

        /// <summary>Zeroed counters, one per relevant key.</summary>
        public Span<int> Ahead(int count)
        {
            if (_ahead.Length < count)
            {
                _ahead = new int[Math.Max(count, _ahead.Length * 2)];
            }

            var span = _ahead.AsSpan(0, count);
            span.Clear();
            return span;
        }
    }

    /// <summary>Sort key: higher score first, then lower candidate index (candidates are in image-id order).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Key(float score, int index)
    {
        var bits = BitConverter.SingleToUInt32Bits(-score);
        var ordered = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)ordered << 32) | (uint)index;
    }

    /// <summary>
    /// Ranks one query's candidates. <paramref name="classOf"/>[c] is candidate c's class; <paramref name="self"/> is
    /// the query's own position among the candidates (or -1), left out. Returns the top <paramref name="depth"/>
    /// keys (the first <paramref name="kept"/> of <paramref name="top"/>, best first) and the 1-based ranks of the relevant candidates, ascending.
    /// </summary>
    internal static Span<int> Rank(ReadOnlySpan<float> scores, ReadOnlySpan<int> classOf, int classId, int self, int depth, Workspace work, out ulong[] top, out int kept)
    {
        var n = scores.Length;
        var others = work.Others(n);
        var relevant = work.Relevant(n);
        top = work.Top(depth);
        int other = 0, found = 0;
        kept = 0;
        ref var o = ref MemoryMarshal.GetArrayDataReference(others);
        ref var rel = ref MemoryMarshal.GetArrayDataReference(relevant);
        ref var s0 = ref MemoryMarshal.GetReference(scores);
        ref var k0 = ref MemoryMarshal.GetReference(classOf);
        for (var c = 0; c < n; c++)
        {
            if (c == self)
            {
                continue;
            }

            var score = Unsafe.Add(ref s0, c);
            var key = Key(float.IsNaN(score) ? float.NegativeInfinity : score, c);
            if (Unsafe.Add(ref k0, c) == classId)
            {
                Unsafe.Add(ref rel, found++) = key;
            }
            else
            {
                Unsafe.Add(ref o, other++) = key;
            }

            if (kept < depth || key < top[kept - 1])
            {
                // Insertion into the sorted buffer; it stays short (the largest K), and late inserts are rare.
                var at = kept < depth ? kept++ : kept - 1;
                while (at > 0 && top[at - 1] > key)
                {
                    top[at] = top[at - 1];
                    at--;
                }

                top[at] = key;
            }
        }

        var ranks = work.Ranks(found);
        if (found == 0)
        {
            return ranks;
        }

        var sorted = relevant.AsSpan(0, found);
        sorted.Sort();

        // Pad to a power of two with keys behind every real one, so the search below has no bounds to test.
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)found);
        relevant.AsSpan(found, size - found).Fill(ulong.MaxValue);
        var last = sorted[^1];
        var ahead = work.Ahead(found);
        ref var a0 = ref MemoryMarshal.GetReference(ahead);
        for (var i = 0; i < other; i++)
        {
            var key = Unsafe.Add(ref o, i);
            if (key >= last)
            {
                continue;
            }

            // Number of relevant keys below this one (keys are distinct: the index is part of each).
            var below = 0;
            for (var half = size >> 1; half > 0; half >>= 1)
            {
                below += Unsafe.Add(ref rel, below + half - 1) < key ? half : 0;
            }

            below += Unsafe.Add(ref rel, below) < key ? 1 : 0;
            Unsafe.Add(ref a0, below)++;
        }

        var before = 0;
        for (var j = 0; j < found; j++)
        {
            before += ahead[j];
            ranks[j] = j + 1 + before;
        }

        return ranks;
    }
}
