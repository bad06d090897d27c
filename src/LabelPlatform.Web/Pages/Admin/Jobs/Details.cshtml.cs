using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Web.Endpoints;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Jobs;

public class DetailsModel(PlatformDbContext db, JobRunService runs, RejectionLog log, TimeProvider clock) : PageModel
{
    public JobRun Run { get; private set; } = null!;
    public string? DatasetName { get; private set; }
    public ListPage<JobRunItemError> Errors { get; private set; } = null!;
    public double? ItemsPerSecond { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, int errors = 1, CancellationToken ct = default)
    {
        var run = await db.JobRuns.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);
        if (run is null)
        {
            return NotFound();
        }

        Run = run;
        DatasetName = await db.Datasets.Where(d => d.Id == run.DatasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        Errors = await log.ItemErrorsPageAsync(id, errors, ct);
        ItemsPerSecond = JobEndpoints.ToStatus(run, clock.GetUtcNow()).ItemsPerSecond;
        Interrupted = run.IsInterrupted(clock.GetUtcNow());
        Chunks = await db.JobChunks.AsNoTracking().Where(c => c.JobRunId == id).OrderBy(c => c.Index).ToListAsync(ct);
        if (run.Kind == JobKinds.Evaluate)
        {
            Report = await db.EvaluationRuns.AsNoTracking().Where(e => e.JobRunId == id)
                .Select(e => new EvaluationLink(e.Id, e.Label, e.ReportGzip != null)).FirstOrDefaultAsync(ct);
        }

        return Page();
    }

    public bool Interrupted { get; private set; }

    /// <summary>A chunked run's shares, in plan order: which worker process did (or holds) each.</summary>
    public List<JobChunk> Chunks { get; private set; } = [];

    /// <summary>Per worker process: chunks done, chunks held now, items it stored.</summary>
    public IEnumerable<(string Worker, int Done, int Running, int Succeeded)> Workers => Chunks.Where(c => c.Worker != null).GroupBy(c => c.Worker!)
        .Select(g => (g.Key, g.Count(c => c.State == JobChunkState.Done), g.Count(c => c.State == JobChunkState.Running), g.Sum(c => c.Succeeded)));

    /// <summary>The evaluation an evaluate run computes, so its page links to the report.</summary>
    public sealed record EvaluationLink(long Id, string Label, bool Ready);

    public EvaluationLink? Report { get; private set; }

    public async Task<IActionResult> OnGetErrorsCsvAsync(long id, CancellationToken ct)
    {
        if (!await db.JobRuns.AnyAsync(j => j.Id == id, ct))
        {
            return NotFound();
        }

        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"job-{id}-item-errors.csv\"";
        await using var writer = new StreamWriter(Response.Body, new System.Text.UTF8Encoding(false));
        await log.WriteItemErrorsCsvAsync(id, writer, ct);
        return new EmptyResult();
    }

    public async Task<IActionResult> OnPostResumeAsync(long id, CancellationToken ct)
    {
        var resumed = await runs.ResumeAsync(id, ct);
        TempData["Flash"] = resumed ? $"Job run {id} queued to resume from its last checkpoint." : $"Job run {id} is not interrupted (finished, queued, or still running).";
        return Redirect($"/Admin/Jobs/Details/{id}");
    }

    public async Task<IActionResult> OnPostCancelAsync(long id, CancellationToken ct)
    {
        var cancelled = await runs.RequestCancelAsync(id, ct);
        TempData["Flash"] = cancelled ? $"Cancel requested for job run {id}." : $"Job run {id} had already finished.";
        return Redirect($"/Admin/Jobs/Details/{id}");
    }
}
