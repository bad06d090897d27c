using LabelPlatform.Core.Search;

namespace LabelPlatform.Tests.Search;

public class BatchSearchTests
{
    public static TheoryData<int, string> Layouts()
    {
        var data = new TheoryData<int, string>();
        foreach (var dimension in new[] { 17, 64, 1280 })
        {
            data.Add(dimension, "default");
            data.Add(dimension, "tiny-single");
            data.Add(dimension, "tiny-parallel");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Batch_top_k_equals_single_query_top_k_ties_included(int dimension, string layout)
    {
        // 250 random items plus 40 exact copies of some of them under other ids: copies score bit-identically, so
        // their order is decided by the id rule alone, which the batch must apply exactly as the single scan does.
        var items = TestVectors.Items(dimension, 250, dimension);
        var random = new Random(dimension);
        var copies = Enumerable.Range(0, 40).Select(i => new TestVectors.Item(2_000_000_000_000 + (i * 7919 % 41) - 20, items[random.Next(items.Count)].ClassId, items[random.Next(items.Count)].Vector)).ToList();
        items.AddRange(copies);
        var index = layout switch
        {
            "tiny-single" => new ExactVectorIndex(dimension, segmentFloats: 8 * dimension, chunkFloats: 2 * dimension, parallelMinFloats: 0) { MaxDegreeOfParallelism = 1 },
            "tiny-parallel" => new ExactVectorIndex(dimension, segmentFloats: 8 * dimension, chunkFloats: 2 * dimension, parallelMinFloats: 0) { MaxDegreeOfParallelism = 4 },
            _ => new ExactVectorIndex(dimension),
        };
        TestVectors.AddAll(index, items);

        // 23 queries (not a multiple of the 4-query block): fresh vectors and stored ones (whose copies tie with
        // them), with every filter and several k, including k above the index size.
        var queries = new List<BatchQuery>();
        var fresh = TestVectors.Units(dimension + 1, 8, dimension);
        for (var q = 0; q < 23; q++)
        {
            var vector = q % 3 == 0 ? fresh[q / 3] : copies[q % copies.Count].Vector;
            var k = new[] { 1, 5, 10, 37, 400 }[q % 5];
            int? classId = q % 4 == 1 ? q % 5 : null;
            long? exclude = q % 4 == 2 ? copies[q % copies.Count].Id : null;
            queries.Add(new BatchQuery(vector, k, classId, exclude));
        }

        var batch = index.SearchBatch(queries);

        Assert.Equal(queries.Count, batch.Length);
        var tiesSeen = 0;
        for (var q = 0; q < queries.Count; q++)
        {
            var single = index.Search(queries[q].Vector.Span, queries[q].K, queries[q].ClassId, queries[q].ExcludeId);
            Assert.Equal(single.Select(h => h.Id), batch[q].Select(h => h.Id));
            Assert.Equal(single.Select(h => BitConverter.SingleToInt32Bits(h.Score)), batch[q].Select(h => BitConverter.SingleToInt32Bits(h.Score)));
            Assert.Equal(single.Select(h => h.ClassId), batch[q].Select(h => h.ClassId));
            tiesSeen += single.Zip(single.Skip(1)).Count(p => p.First.Score == p.Second.Score);
        }

        // The case is only a test of tie-breaking if ties reached the results.
        Assert.True(tiesSeen > 0);
    }

    [Fact]
    public void Batch_checks_every_query_and_answers_an_empty_index()
    {
        var index = new ExactVectorIndex(4);
        Assert.Equal([0, 0], index.SearchBatch([new BatchQuery(new float[4], 3), new BatchQuery(new float[4], 1)]).Select(r => r.Count));
        Assert.Throws<ArgumentException>(() => index.SearchBatch([new BatchQuery(new float[4], 3), new BatchQuery(new float[3], 1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.SearchBatch([new BatchQuery(new float[4], 0)]));
    }
}
