using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages;

public class IndexModel(PlatformDbContext db) : PageModel
{
    public int Datasets { get; private set; }
    public int Images { get; private set; }
    public int ActiveJobs { get; private set; }
    public bool HasRole { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        HasRole = Roles.All.Any(User.IsInRole);
        if (!HasRole)
        {
            return;
        }

        Datasets = await db.Datasets.CountAsync(ct);
        Images = await db.Images.CountAsync(ct);
        ActiveJobs = await db.JobRuns.CountAsync(j => j.State == JobState.Queued || j.State == JobState.Running, ct);
    }
}
