using LabelPlatform.Core.Search;

namespace LabelPlatform.Tests.Search;

public class ExactVectorIndexTests
{
    // 8-row segments, 2-row chunks and no parallel threshold, so a few hundred vectors cross segment growth, many
    // segments and the parallel path.
    private static ExactVectorIndex Tiny(int dimension, int threads) =>
        new(dimension, segmentFloats: 8 * dimension, chunkFloats: 2 * dimension, parallelMinFloats: 0) { MaxDegreeOfParallelism = threads };

    public static TheoryData<int, int, int, string> Cases()
    {
        var data = new TheoryData<int, int, int, string>();
        foreach (var seed in new[] { 1, 2, 3 })
        {
            foreach (var k in new[] { 1, 10, 1000 })
            {
                // 37 and 131 are not multiples of any vector width: every loop of the kernel and its scalar tail run.
                data.Add(seed, k, 37, "default");
                data.Add(seed, k, 131, "default");
                data.Add(seed, k, 64, "tiny-single");
                data.Add(seed, k, 64, "tiny-parallel");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Search_matches_a_naive_full_sort(int seed, int k, int dimension, string layout)
    {
        var items = TestVectors.Items(seed, 300, dimension);
        var index = layout switch
        {
            "tiny-single" => Tiny(dimension, 1),
            "tiny-parallel" => Tiny(dimension, 4),
            _ => new ExactVectorIndex(dimension),
        };
        TestVectors.AddAll(index, items);
        var queries = TestVectors.Units(seed + 100, 5, dimension);

        foreach (var query in queries)
        {
            var expected = TestVectors.Naive(items, query, k);
            var actual = index.Search(query, k);

            Assert.Equal(Math.Min(k, items.Count), actual.Count);
            for (var i = 0; i < actual.Count; i++)
            {
                // Same order as the double-precision sort, except where two scores are closer than float SIMD sums
                // (whose summation order depends on the CPU's vector width) can tell apart.
                Assert.True(expected[i].Id == actual[i].Id || Math.Abs(expected[i].Score - TestVectors.Dot(items.Single(x => x.Id == actual[i].Id).Vector, query)) < 1e-5,
                    $"rank {i}: expected {expected[i].Id} ({expected[i].Score}), got {actual[i].Id} ({actual[i].Score})");
                Assert.Equal(expected[i].Score, actual[i].Score, 1e-5);
                Assert.Equal(items.Single(x => x.Id == actual[i].Id).ClassId, actual[i].ClassId);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Equal_scores_come_back_by_lower_id_whatever_the_storage_order(int threads)
    {
        var index = Tiny(8, threads);
        var same = TestVectors.Units(5, 1, 8)[0];
        var others = TestVectors.Units(6, 40, 8);

        // The duplicates land in different segments and chunks, in descending id order.
        long[] duplicateIds = [90, 70, 50, 30, 10];
        var next = 1000;
        foreach (var id in duplicateIds)
        {
            index.Add(id, null, same);
            foreach (var other in others.Skip((int)(id / 10)).Take(7))
            {
                index.Add(next++, null, other);
            }
        }

        var hits = index.Search(same, 3);

        Assert.Equal([10L, 30L, 50L], hits.Select(h => h.Id));
        Assert.All(hits, h => Assert.Equal(hits[0].Score, h.Score));
    }

    [Fact]
    public void Parallel_and_single_threaded_scans_agree_exactly()
    {
        var items = TestVectors.Items(11, 500, 32);
        var single = Tiny(32, 1);
        var parallel = Tiny(32, 4);
        TestVectors.AddAll(single, items);
        TestVectors.AddAll(parallel, items);

        foreach (var query in TestVectors.Units(12, 10, 32))
        {
            Assert.Equal(single.Search(query, 25), parallel.Search(query, 25));
            Assert.Equal(single.Search(query, 5, classId: 2), parallel.Search(query, 5, classId: 2));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Class_filter_and_excluded_id_are_applied_in_the_scan(int threads)
    {
        var items = TestVectors.Items(21, 400, 16);
        var index = Tiny(16, threads);
        TestVectors.AddAll(index, items);

        foreach (var stored in items.Take(10))
        {
            // A stored image asked about itself: without the exclusion it is its own best match.
            Assert.Equal(stored.Id, index.Search(stored.Vector, 1)[0].Id);
            var excluded = index.Search(stored.Vector, 10, excludeId: stored.Id);
            Assert.DoesNotContain(excluded, h => h.Id == stored.Id);
            Assert.Equal(TestVectors.Naive(items, stored.Vector, 10, excludeId: stored.Id).Select(e => e.Id), excluded.Select(h => h.Id));

            var sameClass = index.Search(stored.Vector, 10, classId: 3, excludeId: stored.Id);
            Assert.Equal(10, sameClass.Count);
            Assert.All(sameClass, h => Assert.Equal(3, h.ClassId));
            Assert.Equal(TestVectors.Naive(items, stored.Vector, 10, classId: 3, excludeId: stored.Id).Select(e => e.Id), sameClass.Select(h => h.Id));
        }

        Assert.Empty(index.Search(items[0].Vector, 10, classId: 42));
    }

    [Fact]
    public void Bad_arguments_throw_with_a_clear_message_and_change_nothing()
    {
        var index = new ExactVectorIndex(4);
        index.Add(1, 0, [1, 0, 0, 0]);

        var wrongQuery = Assert.Throws<ArgumentException>(() => index.Search(new float[3], 1));
        Assert.Contains("3 values", wrongQuery.Message);
        Assert.Contains("4-dimensional", wrongQuery.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[4], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[4], -1));
        var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() => index.Search(new float[4], VectorIndexLimits.MaxK + 1));
        Assert.Contains("k must be between 1 and", tooMany.Message);
        Assert.Throws<ArgumentException>(() => index.Add(2, 0, [1, 0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Add(2, int.MinValue, [1, 0, 0, 0]));
        Assert.Contains("already", Assert.Throws<ArgumentException>(() => index.Add(1, 0, [0, 1, 0, 0])).Message);

        // A batch with a duplicate inside it adds nothing at all.
        Assert.Throws<ArgumentException>(() => index.AddRange([5, 6, 5], [null, null, null], new float[12]));
        Assert.Throws<ArgumentException>(() => index.AddRange([7, 8], [null, null], new float[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExactVectorIndex(0));

        Assert.Equal(1, index.Count);
        Assert.True(index.Contains(1));
        Assert.False(index.Contains(5));
        Assert.False(index.Contains(6));
        Assert.False(index.Contains(7));
        index.AddRange([5, 6], [null, 2], [0, 1, 0, 0, 0, 0, 1, 0]);
        Assert.Equal(3, index.Count);
        Assert.Equal(new SearchHit(6, 1f, 2), index.Search([0, 0, 1, 0], 1)[0]);
    }

    [Fact]
    public void An_empty_index_returns_no_hits()
    {
        Assert.Empty(new ExactVectorIndex(8).Search(new float[8], 10));
    }

    [Fact]
    public async Task Searches_while_vectors_are_added_never_throw_or_see_a_torn_vector()
    {
        // Vector i = cos(a_i) e0 + sin(a_i) e_(1 + i % 31), so against the query e0 its score must be exactly cos(a_i),
        // never below 0.07: a half-written or not yet written row scores something else. k covers the whole index, so
        // every visible row is checked. Many small indexes keep each scan short, so a reader reaches the newest row
        // within microseconds of taking its snapshot, when a row published too early would still be unwritten.
        const int dimension = 32;
        const int rounds = 300;
        const int perRound = 64;
        float Expected(long id) => MathF.Cos((id % 997) * 0.0015f);
        float[] VectorOf(long id)
        {
            var v = new float[dimension];
            var angle = (id % 997) * 0.0015f;
            v[0] = MathF.Cos(angle);
            v[1 + (int)(id % 31)] = MathF.Sin(angle);
            return v;
        }

        var query = new float[dimension];
        query[0] = 1;
        var current = Tiny(dimension, 1);
        var stop = 0;
        var searches = 0;
        var readers = Enumerable.Range(0, 2).Select(r => Task.Factory.StartNew(
            () =>
            {
                while (Volatile.Read(ref stop) == 0)
                {
                    var index = Volatile.Read(ref current);
                    var before = index.Count;
                    var hits = index.Search(query, VectorIndexLimits.MaxK, classId: r == 1 ? 1 : null);
                    var after = index.Count;
                    Assert.InRange(hits.Count, r == 1 ? before / 2 : before, after);
                    Assert.Equal(hits.Count, hits.Select(h => h.Id).Distinct().Count());
                    foreach (var hit in hits)
                    {
                        Assert.Equal(Expected(hit.Id), hit.Score, 1e-5f);
                    }

                    Interlocked.Increment(ref searches);
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();

        for (var round = 0; round < rounds && !readers.Any(r => r.IsFaulted); round++)
        {
            var index = Tiny(dimension, round % 2 == 0 ? 1 : 2);
            Volatile.Write(ref current, index);
            for (long id = 0; id < perRound;)
            {
                if (id == 32)
                {
                    var batch = Enumerable.Range(0, 8).Select(i => id + i).ToArray();
                    index.AddRange(batch, batch.Select(b => (int?)(b % 2)).ToArray(), batch.SelectMany(VectorOf).ToArray());
                    id += batch.Length;
                }
                else
                {
                    index.Add(id, (int)(id % 2), VectorOf(id));
                    id++;
                }
            }

            // At least one search per round, so readers and the writer keep overlapping.
            var seen = Volatile.Read(ref searches);
            SpinWait.SpinUntil(() => Volatile.Read(ref searches) > seen || readers.Any(r => r.IsFaulted));
        }

        Volatile.Write(ref stop, 1);
        await Task.WhenAll(readers);

        Assert.True(searches >= rounds, $"only {searches} searches overlapped the adds");
        var last = Volatile.Read(ref current);
        Assert.Equal(perRound, last.Count);
        Assert.Equal([0L, 1L, 2L], last.Search(query, 3).Select(h => h.Id));
    }
}
