using System.Text;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Evaluation;

/// <summary>A finished run's report as a download: JSON, CSV, TREC qrels and run files, or the manifest.</summary>
public class ExportModel(PlatformDbContext db, EvaluationService evaluations) : PageModel
{
    public static readonly string[] Formats = ["json", "queries.csv", "classes.csv", "qrels", "run", "manifest"];

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public async Task<IActionResult> OnGetAsync(long id, string? format, CancellationToken ct)
    {
        if (format is null || !Formats.Contains(format, StringComparer.Ordinal))
        {
            return BadRequest($"format must be one of {string.Join(", ", Formats)}");
        }

        var run = await db.EvaluationRuns.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new { r.Id, r.DatasetId, r.SplitId, r.Label, r.ManifestJson, Finished = r.ReportGzip != null }).FirstOrDefaultAsync(ct);
        if (run is null)
        {
            return NotFound();
        }

        if (!run.Finished || await evaluations.LoadReportAsync(id, ct) is not { } report)
        {
            return new ConflictObjectResult($"run {id} has not finished: there is no report to export yet");
        }

        var name = $"evaluation-{id}";
        var text = new StringWriter { NewLine = "\n" };
        switch (format)
        {
            case "json":
                return File(Utf8.GetBytes(report.ToJson(indented: true)), "application/json", $"{name}-report.json");
            case "manifest":
                return File(Utf8.GetBytes(run.ManifestJson), "application/json", $"{name}-manifest.json");
            case "queries.csv":
                await ReportExports.WriteQueriesCsvAsync(report, text);
                return File(Utf8.GetBytes(text.ToString()), "text/csv; charset=utf-8", $"{name}-queries.csv");
            case "classes.csv":
                await ReportExports.WriteClassesCsvAsync(report, text);
                return File(Utf8.GetBytes(text.ToString()), "text/csv; charset=utf-8", $"{name}-classes.csv");
            case "qrels":
                // The split's candidates with today's labels: the report names only the top results, qrels need all relevant ones.
                var entity = new EvaluationRun { Id = run.Id, DatasetId = run.DatasetId, SplitId = run.SplitId, Method = "", Label = run.Label, KValues = "" };
                await ReportExports.WriteQrelsAsync(report, await evaluations.CandidatesAsync(entity, ct), text);
                return File(Utf8.GetBytes(text.ToString()), "text/plain; charset=utf-8", $"{name}.qrels");
            default:
                await ReportExports.WriteRunAsync(report, run.Label, text);
                return File(Utf8.GetBytes(text.ToString()), "text/plain; charset=utf-8", $"{name}.run");
        }
    }
}
