using LabelPlatform.Core.Search;

namespace LabelPlatform.Tests.Search;

public class RecallMeterTests
{
    private static ExactVectorIndex Index(params (long Id, float X, float Y)[] points)
    {
        var index = new ExactVectorIndex(2);
        foreach (var (id, x, y) in points)
        {
            index.Add(id, null, [x, y]);
        }

        return index;
    }

    [Fact]
    public void Recall_of_an_index_missing_one_vector_is_what_a_hand_count_gives()
    {
        // Truth: 1=(1,0), 2=(0.8,0.6), 3=(0,1), 4=(-1,0); the "approximate" index lacks 2. Top-2 per query:
        //   q=(1,0):  truth {1,2}, approx {1,3} -> 1 of 2
        //   q=(0,1):  truth {3,2}, approx {3,1} (1 and 4 both score 0; lower id first) -> 1 of 2
        //   q=(-1,0): truth {4,3}, approx {4,3} -> 2 of 2
        // Recall@2 = 4 / 6. At k = 1 every query's best (1, 3, 4) is in both: 3 / 3.
        var exact = Index((1, 1, 0), (2, 0.8f, 0.6f), (3, 0, 1), (4, -1, 0));
        var approx = Index((1, 1, 0), (3, 0, 1), (4, -1, 0));
        List<float[]> queries = [[1, 0], [0, 1], [-1, 0]];

        Assert.Equal(4.0 / 6, RecallMeter.RecallAtK(exact, approx, queries, 2), 12);
        Assert.Equal(1.0, RecallMeter.RecallAtK(exact, exact, queries, 2));
        Assert.Equal(1.0, RecallMeter.RecallAtK(exact, approx, queries, 1), 12);
    }

    [Fact]
    public void Expected_ids_are_counted_once_each_when_the_exact_answer_is_shorter_than_k()
    {
        // Two stored vectors, k = 5: each query expects 2 ids; the approximate index holds only id 1.
        var exact = Index((1, 1, 0), (2, 0, 1));
        var approx = Index((1, 1, 0));
        List<float[]> queries = [[1, 0], [0, 1]];

        Assert.Equal(2.0 / 4, RecallMeter.RecallAtK(exact, approx, queries, 5), 12);
    }

    [Fact]
    public void Precomputed_truth_and_bad_inputs()
    {
        var approx = Index((1, 1, 0), (3, 0, 1));
        IReadOnlyList<SearchHit>[] truth = [[new(1, 1, null), new(2, 0.8f, null)], [new(7, 1, null)]];
        List<float[]> queries = [[1, 0], [0, 1]];

        Assert.Equal(1.0 / 3, RecallMeter.RecallAtK(truth, approx, queries, 2), 12);
        Assert.Throws<ArgumentException>(() => RecallMeter.RecallAtK(truth, approx, [], 2));
        Assert.Throws<ArgumentException>(() => RecallMeter.RecallAtK(truth, approx, queries.Take(1).ToList(), 2));
    }
}
