using System.Globalization;
using LabelPlatform.Core.Data;

namespace LabelPlatform.Core.Evaluation;

/// <summary>
/// A report in files other tools read: per-query and per-class CSV, and TREC qrels + run files for trec_eval or
/// ranx. The run file holds each query's top results down to the largest K, so trec_eval's P@K, ndcg_cut_K and
/// map_cut_K agree with the report for every K it was run with; qrels name every relevant candidate, so recall and
/// AP use the full relevant set.
/// </summary>
public static class ReportExports
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task WriteQueriesCsvAsync(EvaluationReport report, TextWriter writer)
    {
        var header = new List<string> { "query_image_id", "class", "relevant" };
        foreach (var k in report.Ks)
        {
            header.AddRange([$"p_at_{k}", $"r_at_{k}", $"ap_at_{k}", $"ap_at_{k}_notebook", $"ndcg_at_{k}"]);
        }

        header.AddRange(["ap", "reciprocal_rank", "top_results"]);
        await writer.WriteLineAsync(string.Join(',', header));
        foreach (var q in report.QueryResults)
        {
            var cells = new List<string> { q.ImageId.ToString(Invariant), CsvCell.Text(report.ClassName(q.ClassId)), q.Relevant.ToString(Invariant) };
            foreach (var m in q.AtK)
            {
                cells.AddRange([F(m.Precision), F(m.Recall), F(m.AveragePrecision), F(m.AveragePrecisionNotebook), F(m.Ndcg)]);
            }

            cells.AddRange([F(q.AveragePrecision), F(q.ReciprocalRank), CsvCell.Text(string.Join(' ', q.Top.Select(h => h.ImageId.ToString(Invariant))))]);
            await writer.WriteLineAsync(string.Join(',', cells));
        }
    }

    public static async Task WriteClassesCsvAsync(EvaluationReport report, TextWriter writer)
    {
        var header = new List<string> { "class", "noise", "queries" };
        foreach (var k in report.Ks)
        {
            header.AddRange([$"p_at_{k}", $"r_at_{k}", $"ap_at_{k}", $"ap_at_{k}_notebook", $"ndcg_at_{k}"]);
        }

        header.AddRange(["map", "mrr"]);
        await writer.WriteLineAsync(string.Join(',', header));
        foreach (var c in report.PerClass)
        {
            var cells = new List<string> { CsvCell.Text(c.Name), c.IsNoise ? "1" : "0", c.Queries.ToString(Invariant) };
            foreach (var m in c.Metrics.AtK)
            {
                cells.AddRange([F(m.Precision), F(m.Recall), F(m.AveragePrecision), F(m.AveragePrecisionNotebook), F(m.Ndcg)]);
            }

            cells.AddRange([F(c.Metrics.MeanAveragePrecision), F(c.Metrics.MeanReciprocalRank)]);
            await writer.WriteLineAsync(string.Join(',', cells));
        }
    }

    /// <summary>TREC qrels: "query 0 document 1" for every candidate of the query's class (the query itself excluded).</summary>
    public static async Task WriteQrelsAsync(EvaluationReport report, IReadOnlyList<EvaluationItem> candidates, TextWriter writer)
    {
        var byClass = candidates.GroupBy(c => c.ClassId).ToDictionary(g => g.Key, g => g.Select(c => c.ImageId).Order().ToList());
        foreach (var q in report.QueryResults)
        {
            if (!byClass.TryGetValue(q.ClassId, out var relevant))
            {
                continue;
            }

            foreach (var id in relevant)
            {
                if (id != q.ImageId)
                {
                    await writer.WriteLineAsync($"{q.ImageId} 0 {id} 1");
                }
            }
        }
    }

    /// <summary>TREC run: "query Q0 document rank score tag", ranks from 1. Scores are made strictly decreasing, as trec_eval re-sorts by score.</summary>
    public static async Task WriteRunAsync(EvaluationReport report, string tag, TextWriter writer)
    {
        var safeTag = new string([.. tag.Select(ch => char.IsWhiteSpace(ch) ? '_' : ch)]);
        foreach (var q in report.QueryResults)
        {
            for (var i = 0; i < q.Top.Count; i++)
            {
                // trec_eval orders by score (ties by document id, descending); a score built from the rank keeps our order.
                var score = q.Top.Count - i;
                await writer.WriteLineAsync($"{q.ImageId} Q0 {q.Top[i].ImageId} {i + 1} {score.ToString(Invariant)} {safeTag}");
            }
        }
    }

    private static string F(double value) => value.ToString("0.######", Invariant);
}
