using LabelPlatform.Core.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Datasets;

public class IndexModel(PlatformDbContext db) : PageModel
{
    public sealed record Row(int Id, string Name, string? Description, int Classes, int Images, int Rejected, string? NoiseClass, DateTimeOffset CreatedAt);

    public List<Row> Rows { get; private set; } = [];

    /// <summary>Browser and map are for reviewers and admins (they show import labels); labellers see no links to them.</summary>
    public bool CanBrowse => User.IsInRole(Core.Identity.Roles.Admin) || User.IsInRole(Core.Identity.Roles.Reviewer);

    public async Task OnGetAsync(CancellationToken ct)
    {
        Rows = await db.Datasets.AsNoTracking().OrderBy(d => d.Name).Select(d => new Row(
            d.Id, d.Name, d.Description,
            d.Classes.Count,
            d.Images.Count,
            db.RejectedFiles.Count(r => r.DatasetId == d.Id),
            d.Classes.Where(c => c.IsNoise).Select(c => c.Name).FirstOrDefault(),
            d.CreatedAt)).ToListAsync(ct);
    }
}
