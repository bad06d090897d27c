using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Web.Evaluation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Caching.Memory;

namespace LabelPlatform.Web.Pages.Evaluation;

/// <summary>One run's report: headline figures with intervals, every K, charts, per-class table, confusion and failures.</summary>
public class ReportModel(PlatformDbContext db, EvaluationService evaluations, IMemoryCache cache) : PageModel
{
    public RunRow Run { get; private set; } = null!;
    public EvaluationReport? Report { get; private set; }
    public string Manifest { get; private set; } = "";

    /// <summary>The dataset's name as the manifest recorded it (it outlives a deleted dataset).</summary>
    public string DatasetName { get; private set; } = "";

    /// <summary>Indexes (into the confusion matrix) of the classes with off-diagonal mass, as query or as result.</summary>
    public List<int> ConfusedClasses { get; private set; } = [];

    public Dictionary<long, QueryResult> QueryById { get; private set; } = [];

    /// <summary>Figures per source of the query images; shown when any of them was crawled.</summary>
    public IReadOnlyList<SourceMetrics> BySource { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        if (await db.FindRowAsync(id, ct) is not { } run)
        {
            return NotFound();
        }

        Run = run;
        DatasetName = run.Dataset;
        if (!run.Finished)
        {
            return Page();
        }

        Report = await evaluations.LoadReportAsync(id, ct);
        Manifest = await ManifestAsync(id, ct);
        if (run.DatasetDeleted && RecordedName(Manifest) is { } recorded)
        {
            DatasetName = recorded;
        }
        if (Report is { } report)
        {
            QueryById = report.QueryResults.ToDictionary(q => q.ImageId);
            BySource = await evaluations.BySourceAsync(report, ct);
            var m = report.Confusion;
            var n = m.ClassIds.Count;
            var involved = new bool[n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    if (i != j && m.Counts[i][j] > 0)
                    {
                        involved[i] = involved[j] = true;
                    }
                }
            }

            ConfusedClasses = [.. Enumerable.Range(0, n).Where(i => involved[i])];
        }

        return Page();
    }

    /// <summary>A chart as PNG. Reports never change once stored, so the browser may keep it for a day.</summary>
    public async Task<IActionResult> OnGetChartAsync(long id, string? name, CancellationToken ct)
    {
        if (name is null || !ReportCharts.All.Contains(name, StringComparer.Ordinal))
        {
            return NotFound();
        }

        var png = await cache.GetOrCreateAsync(("evaluation-chart", id, name), async entry =>
        {
            entry.SlidingExpiration = TimeSpan.FromMinutes(10);
            var report = await evaluations.LoadReportAsync(id, ct);
            return report is null ? null : ReportCharts.Render(report, name);
        });
        if (png is null)
        {
            cache.Remove(("evaluation-chart", id, name));
            return NotFound();
        }

        Response.Headers.CacheControl = "private, max-age=86400";
        return File(png, "image/png");
    }

    public string Share(int row, int column)
    {
        var counts = Report!.Confusion.Counts[row];
        var total = counts.Sum();
        return total == 0 ? "0" : (counts[column] / (double)total).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string> ManifestAsync(long id, CancellationToken ct)
    {
        var json = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(
            db.EvaluationRuns.Where(r => r.Id == id).Select(r => r.ManifestJson), ct);
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, Indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static string? RecordedName(string manifest)
    {
        try
        {
            using var doc = JsonDocument.Parse(manifest);
            return doc.RootElement.TryGetProperty("dataset", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                ? n.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
