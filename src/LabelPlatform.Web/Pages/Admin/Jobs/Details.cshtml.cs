using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Web.Endpoints;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Jobs;

public class DetailsModel(PlatformDbContext db, JobRunService runs, TimeProvider clock) : PageModel
{
    private const int ErrorsShown = 500;

    public JobRun Run { get; private set; } = null!;
    public string? DatasetName { get; private set; }
    public List<JobRunItemError> Errors { get; private set; } = [];
    public int ErrorCount { get; private set; }
    public double? ItemsPerSecond { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var run = await db.JobRuns.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);
        if (run is null)
        {
            return NotFound();
        }

        Run = run;
        DatasetName = await db.Datasets.Where(d => d.Id == run.DatasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        ErrorCount = await db.JobRunItemErrors.CountAsync(e => e.JobRunId == id, ct);
        Errors = await db.JobRunItemErrors.AsNoTracking().Where(e => e.JobRunId == id).OrderBy(e => e.Id).Take(ErrorsShown).ToListAsync(ct);
        ItemsPerSecond = JobEndpoints.ToStatus(run, clock.GetUtcNow()).ItemsPerSecond;
        Interrupted = run.IsInterrupted(clock.GetUtcNow());
        return Page();
    }

    public bool Interrupted { get; private set; }

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
