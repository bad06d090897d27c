using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Web.Evaluation;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Evaluation;

/// <summary>Evaluation runs, newest first, optionally of one dataset, with a form to compare two of them.</summary>
public class IndexModel(PlatformDbContext db) : PageModel
{
    public List<RunRow> Runs { get; private set; } = [];
    public List<Dataset> Datasets { get; private set; } = [];
    public int? DatasetId { get; private set; }

    public async Task OnGetAsync(int? datasetId, CancellationToken ct)
    {
        DatasetId = datasetId;
        Datasets = await db.Datasets.AsNoTracking().Where(d => db.EvaluationRuns.Any(r => r.DatasetId == d.Id)).OrderBy(d => d.Name).ToListAsync(ct);
        var rows = datasetId is { } id ? db.Rows(r => r.DatasetId == id) : db.Rows();
        Runs = await rows.Take(500).ToListAsync(ct);
    }
}
