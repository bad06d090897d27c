using System.Text;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Datasets;

/// <summary>Every file a dataset's imports and crawls refused, with its reason, a page at a time and as CSV.</summary>
public class RejectedModel(PlatformDbContext db, RejectionLog log) : PageModel
{
    public Dataset Dataset { get; private set; } = null!;
    public ListPage<RejectedFile> Rows { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int id, [FromQuery(Name = "p")] int pageNumber = 1, CancellationToken ct = default)
    {
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct);
        if (dataset is null)
        {
            return NotFound();
        }

        Dataset = dataset;
        Rows = await log.RejectedPageAsync(id, pageNumber, ct);
        return Page();
    }

    public async Task<IActionResult> OnGetCsvAsync(int id, CancellationToken ct)
    {
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct);
        if (dataset is null)
        {
            return NotFound();
        }

        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"{dataset.Name}-rejected.csv\"";
        await using var writer = new StreamWriter(Response.Body, new UTF8Encoding(false));
        await log.WriteRejectedCsvAsync(id, writer, ct);
        return new EmptyResult();
    }
}
