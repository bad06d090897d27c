using LabelPlatform.Core.Data;
using LabelPlatform.Core.Exports;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Review;

/// <summary>
/// Downloads a dataset's labels: csv, jsonl, folders (a tab-separated folder-per-class manifest), or zip (the images
/// copied into one folder per class, streamed as the archive is written: a whole dataset never sits in memory).
/// </summary>
public class ExportModel(PlatformDbContext db, LabelExport export) : PageModel
{
    public async Task<IActionResult> OnGetAsync(int datasetId, string format = "csv", CancellationToken ct = default)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return NotFound();
        }

        var (type, extension) = format switch
        {
            "csv" => ("text/csv", "csv"),
            "jsonl" => ("application/x-ndjson", "jsonl"),
            "folders" => ("text/tab-separated-values", "folders.tsv"),
            "zip" => ("application/zip", "zip"),
            _ => (null, null),
        };
        if (type is null)
        {
            return BadRequest("format must be csv, jsonl, folders or zip");
        }

        if (format == "zip")
        {
            Response.ContentType = type;
            Response.Headers.ContentDisposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment") { FileNameStar = $"{name}-by-class.zip" }.ToString();
            await export.ExportAsync(datasetId, format, Response.Body, ct);
            return new EmptyResult();
        }

        var buffer = new MemoryStream();
        await export.ExportAsync(datasetId, format, buffer, ct);
        buffer.Position = 0;
        return File(buffer, type, $"{name}-labels.{extension}");
    }
}
