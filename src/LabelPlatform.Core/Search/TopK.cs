namespace LabelPlatform.Core.Search;

/// <summary>
/// The k best (score, id) pairs seen so far, in a bounded min-heap whose root is the worst kept entry: a scan costs one
/// float compare per row that does not make the cut, and there is no full sort. "Better" is a higher score, then a
/// lower id, a total order, so the result does not depend on the order rows were offered in (or on how a parallel
/// scan split them).
/// </summary>
internal sealed class TopK
{
    private readonly Entry[] _heap;
    private int _count;

    public TopK(int capacity) => _heap = new Entry[Math.Max(1, capacity)];

    /// <summary>A score below this can never enter; -infinity until the heap is full.</summary>
    public float Threshold => _count < _heap.Length ? float.NegativeInfinity : _heap[0].Score;

    public int Count => _count;

    public void Offer(float score, long id, int classId)
    {
        if (float.IsNaN(score))
        {
            return;
        }

        if (_count < _heap.Length)
        {
            _heap[_count] = new Entry(score, id, classId);
            SiftUp(_count++);
            return;
        }

        ref var root = ref _heap[0];
        if (score > root.Score || (score == root.Score && id < root.Id))
        {
            root = new Entry(score, id, classId);
            SiftDown(0);
        }
    }

    public void Merge(TopK other)
    {
        for (var i = 0; i < other._count; i++)
        {
            var e = other._heap[i];
            Offer(e.Score, e.Id, e.ClassId);
        }
    }

    /// <summary>The kept entries, best first.</summary>
    public SearchHit[] ToHits()
    {
        var entries = _heap.AsSpan(0, _count).ToArray();
        Array.Sort(entries, static (a, b) => Worse(a, b) ? 1 : Worse(b, a) ? -1 : 0);
        var hits = new SearchHit[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            hits[i] = new SearchHit(e.Id, e.Score, e.ClassId == VectorIndexLimits.NoClass ? null : e.ClassId);
        }

        return hits;
    }

    private static bool Worse(in Entry a, in Entry b) => a.Score < b.Score || (a.Score == b.Score && a.Id > b.Id);

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Worse(_heap[i], _heap[parent]))
            {
                return;
            }

            (_heap[i], _heap[parent]) = (_heap[parent], _heap[i]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var worst = i;
            var left = (2 * i) + 1;
            var right = left + 1;
            if (left < _count && Worse(_heap[left], _heap[worst]))
            {
                worst = left;
            }

            if (right < _count && Worse(_heap[right], _heap[worst]))
            {
                worst = right;
            }

            if (worst == i)
            {
                return;
            }

            (_heap[i], _heap[worst]) = (_heap[worst], _heap[i]);
            i = worst;
        }
    }

    private readonly record struct Entry(float Score, long Id, int ClassId);
}
