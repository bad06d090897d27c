using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Jobs;

public class IndexModel(PlatformDbContext db) : PageModel
{
    public List<JobRun> Runs { get; private set; } = [];
    public Dictionary<int, string> DatasetNames { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Runs = await db.JobRuns.AsNoTracking().OrderByDescending(j => j.Id).Take(200).ToListAsync(ct);
        var ids = Runs.Where(r => r.DatasetId != null).Select(r => r.DatasetId!.Value).Distinct().ToList();
        DatasetNames = await db.Datasets.Where(d => ids.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Name, ct);
    }
}
