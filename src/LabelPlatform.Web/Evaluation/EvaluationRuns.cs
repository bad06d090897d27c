using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Evaluation;

/// <summary>An evaluation run as the pages list it: names joined in, the stored report left in the database.</summary>
public sealed record RunRow(
    long Id, int DatasetId, string Dataset, int SplitId, string Split, string Protocol, string Method, int? ModelId, string Label,
    string KValues, int MainK, long? JobRunId, JobState? JobState, string? JobError, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt,
    int Queries, int Candidates, double? PrecisionAtK, double? AveragePrecisionAtK, double? AveragePrecisionAtKNotebook,
    double? MeanAveragePrecision, double? Seconds, string? CreatedBy, bool Finished, bool DatasetDeleted = false, bool ModelDeleted = false)
{
    public string StateText => Finished ? "Finished" : JobState?.ToString() ?? "Not started";
}

public static class EvaluationRunQueries
{
    /// <summary>
    /// Runs, newest first; the report blob is not read (lists never need it). Filter with <paramref name="where"/>:
    /// EF cannot translate a filter on the record after the projection.
    /// </summary>
    public static IQueryable<RunRow> Rows(this PlatformDbContext db, System.Linq.Expressions.Expression<Func<EvaluationRun, bool>>? where = null)
    {
        var runs = where is null ? db.EvaluationRuns.AsNoTracking() : db.EvaluationRuns.AsNoTracking().Where(where);
        return from r in runs
        // Left joins: a finished run outlives its dataset and split (and its model) as a record.
        join d in db.Datasets on r.DatasetId equals d.Id into datasets
        from d in datasets.DefaultIfEmpty()
        join s in db.EvaluationSplits on r.SplitId equals s.Id into splits
        from s in splits.DefaultIfEmpty()
        join j in db.JobRuns on r.JobRunId equals (long?)j.Id into jobs
        from j in jobs.DefaultIfEmpty()
        orderby r.Id descending
        select new RunRow(r.Id, r.DatasetId, d == null ? "deleted dataset" : d.Name, r.SplitId, s == null ? "deleted split" : s.Name, s == null ? "" : s.Protocol,
            r.Method, r.ModelId, r.Label, r.KValues, r.MainK,
            r.JobRunId, j == null ? null : j.State, j == null ? null : j.Error, r.CreatedAt, r.CompletedAt, r.Queries, r.Candidates,
            r.PrecisionAtK, r.AveragePrecisionAtK, r.AveragePrecisionAtKNotebook, r.MeanAveragePrecision, r.Seconds, r.CreatedBy,
            r.ReportGzip != null, d == null, r.Method == EvaluationMethods.Model && r.ModelId == null);
    }

    public static Task<RunRow?> FindRowAsync(this PlatformDbContext db, long id, CancellationToken ct) =>
        db.Rows(r => r.Id == id).FirstOrDefaultAsync(ct);

    /// <summary>"0.8123" for a figure, "—" for none yet.</summary>
    public static string F(double? value) => value is { } v ? v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) : "—";

    public static string Pct(double value) => (value * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
