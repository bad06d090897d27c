using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Crawls;

public class DetailsModel(PlatformDbContext db, CrawlService crawls) : PageModel
{
    /// <summary>Badge colour of a crawl state: a failed crawl is red, a paused one amber, a completed one green.</summary>
    public static string? BadgeClass(string state) => state switch
    {
        nameof(CrawlState.Failed) => "danger",
        nameof(CrawlState.Paused) or nameof(CrawlState.Cancelled) => "warn",
        nameof(CrawlState.Completed) => "ok",
        _ => null,
    };

    public sealed record HostRow(string Host, int Queued, int Done, int Failed, int Disallowed, int Blocked, int Skipped);

    public sealed record ReasonRow(CrawlUrlStatus Status, string Reason, int Count, string Example);

    public sealed record ImageRow(long Id, string Url, string? Alt, bool NearDuplicate);

    public Crawl Crawl { get; private set; } = null!;
    public CrawlSettings Settings { get; private set; } = null!;
    public string DatasetName { get; private set; } = "";
    public JobRun? Run { get; private set; }
    public CrawlCounts Counts { get; private set; } = null!;
    public List<HostRow> Hosts { get; private set; } = [];
    public List<ReasonRow> Reasons { get; private set; } = [];
    public List<ImageRow> Images { get; private set; } = [];
    public int ImageCount { get; private set; }

    public bool IsLive => Crawl.State is CrawlState.Queued or CrawlState.Running;

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken ct)
    {
        var crawl = await db.Crawls.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (crawl is null)
        {
            return NotFound();
        }

        Crawl = crawl;
        Settings = CrawlService.ReadSettings(crawl);
        DatasetName = await db.Datasets.Where(d => d.Id == crawl.DatasetId).Select(d => d.Name).FirstAsync(ct);
        Run = crawl.CurrentJobRunId is { } runId ? await db.JobRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, ct) : null;
        Counts = await crawls.CountAsync(id, ct);
        var byHost = await db.CrawlUrls.Where(u => u.CrawlId == id).GroupBy(u => new { u.Host, u.Status })
            .Select(g => new { g.Key.Host, g.Key.Status, Count = g.Count() }).ToListAsync(ct);
        Hosts = [.. byHost.GroupBy(h => h.Host).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            int N(params CrawlUrlStatus[] s) => g.Where(x => s.Contains(x.Status)).Sum(x => x.Count);
            return new HostRow(g.Key, N(CrawlUrlStatus.Queued, CrawlUrlStatus.Fetching), N(CrawlUrlStatus.Fetched, CrawlUrlStatus.Accepted, CrawlUrlStatus.Duplicate, CrawlUrlStatus.NearDuplicate),
                N(CrawlUrlStatus.Failed, CrawlUrlStatus.Rejected), N(CrawlUrlStatus.Disallowed), N(CrawlUrlStatus.Blocked), N(CrawlUrlStatus.Skipped));
        })];
        var problems = new[] { CrawlUrlStatus.Rejected, CrawlUrlStatus.Failed, CrawlUrlStatus.Disallowed, CrawlUrlStatus.Blocked, CrawlUrlStatus.Skipped };
        var reasonRows = await db.CrawlUrls.Where(u => u.CrawlId == id && problems.Contains(u.Status))
            .Select(u => new { u.Status, u.Reason, u.Url }).Take(5000).ToListAsync(ct);
        Reasons = [.. reasonRows.GroupBy(r => (r.Status, Reason: r.Reason ?? ""))
            .Select(g => new ReasonRow(g.Key.Status, g.Key.Reason, g.Count(), g.First().Url))
            .OrderBy(r => r.Status).ThenByDescending(r => r.Count).Take(100)];
        var images = db.ImageProvenance.Where(p => p.CrawlId == id);
        ImageCount = await images.CountAsync(ct);
        Images = await images.OrderByDescending(p => p.ImageId).Take(60)
            .Join(db.Images, p => p.ImageId, i => i.Id, (p, i) => new ImageRow(i.Id, p.ImageUrl, p.AltText, i.NearDuplicateOfId != null)).ToListAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostPauseAsync(int id, CancellationToken ct)
    {
        TempData["Flash"] = await crawls.PauseAsync(id, ct) ? $"Crawl {id} is pausing; resume goes on from where it stopped." : $"Crawl {id} is not running.";
        return Redirect($"/Admin/Crawls/Details/{id}");
    }

    public async Task<IActionResult> OnPostResumeAsync(int id, CancellationToken ct)
    {
        try
        {
            TempData["Flash"] = await crawls.ResumeAsync(id, User.Identity?.Name, enqueue: true, ct) is { } run
                ? $"Crawl {id} resumed (job run {run.Id})." : $"Crawl {id} cannot be resumed (only paused or failed crawls can).";
        }
        catch (CrawlException ex)
        {
            TempData["Flash"] = $"Not resumed: {ex.Message}.";
        }

        return Redirect($"/Admin/Crawls/Details/{id}");
    }

    public async Task<IActionResult> OnPostCancelAsync(int id, CancellationToken ct)
    {
        TempData["Flash"] = await crawls.CancelAsync(id, ct) ? $"Crawl {id} cancelled." : $"Crawl {id} had already ended.";
        return Redirect($"/Admin/Crawls/Details/{id}");
    }
}
