using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;

namespace LabelPlatform.Tests.Evaluation;

public class ReportExportsTests
{
    private static (EvaluationReport Report, List<EvaluationItem> Candidates) Sample()
    {
        float[] U(float x, float y)
        {
            float[] v = [x, y];
            VectorCodec.Normalize(v);
            return v;
        }

        List<EvaluationItem> candidates = [new(10, 1), new(11, 1), new(12, 2)];
        var data = new EvaluationData
        {
            Queries = [new(1, 1), new(2, 2)],
            Candidates = candidates,
            Classes = [new ClassInfo(1, "cat, big", false), new ClassInfo(2, "dog", false)],
            QueryVectors = [.. U(1, 0), .. U(0, 1)],
            CandidateVectors = [.. U(1, 0.1f), .. U(0.2f, 1), .. U(0, 1)],
            Dimension = 2,
        };
        return (Evaluator.Evaluate(data, new EvaluationSettings([1, 2], 2, 1)), candidates);
    }

    [Fact]
    public async Task Qrels_name_every_relevant_candidate_and_the_run_keeps_the_ranking()
    {
        var (report, candidates) = Sample();
        using var qrels = new StringWriter();
        using var run = new StringWriter();

        await ReportExports.WriteQrelsAsync(report, candidates, qrels);
        await ReportExports.WriteRunAsync(report, "my model v1", run);

        Assert.Equal(["1 0 10 1", "1 0 11 1", "2 0 12 1"], qrels.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
        var lines = run.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(' ')).ToList();
        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.Equal(6, l.Length));
        Assert.Equal(["1", "Q0", "10", "1", "2", "my_model_v1"], lines[0]);
        // Query 2 (dog): candidate 12 first.
        Assert.Equal("12", lines[2][2]);
    }

    [Fact]
    public async Task Csv_has_a_column_per_metric_and_k_and_quotes_names_with_commas()
    {
        var (report, _) = Sample();
        using var queries = new StringWriter();
        using var classes = new StringWriter();

        await ReportExports.WriteQueriesCsvAsync(report, queries);
        await ReportExports.WriteClassesCsvAsync(report, classes);

        var rows = queries.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("query_image_id,class,relevant,p_at_1,", rows[0], StringComparison.Ordinal);
        Assert.Contains("ap_at_2_notebook", rows[0], StringComparison.Ordinal);
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("1,\"cat, big\",2,1,", rows[1], StringComparison.Ordinal);
        Assert.Contains("\"cat, big\"", classes.ToString(), StringComparison.Ordinal);
    }
}
