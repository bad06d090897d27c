using System.Security.Claims;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Label;

public class IndexModel(PlatformDbContext db) : PageModel
{
    /// <summary>Mine: images this labeller has voted on; Voted: images with any vote; Decided: final labels.</summary>
    public sealed record Row(int Id, string Name, int Images, int Classes, int Unlabelled, int Overlap, int Mine, int Voted, int Decided);

    public List<Row> Rows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var me = User.FindFirstValue(ClaimTypes.NameIdentifier);
        Rows = await db.Datasets.AsNoTracking().OrderBy(d => d.Name)
            .Select(d => new Row(d.Id, d.Name, d.Images.Count, d.Classes.Count, d.Images.Count(i => i.SourceClassId == null && i.NearDuplicateOfId == null),
                db.LabellingSettings.Where(s => s.DatasetId == d.Id).Select(s => (int?)s.Overlap).FirstOrDefault() ?? LabellingSettings.DefaultOverlap,
                db.LabelVotes.Count(v => v.DatasetId == d.Id && v.UserId == me && v.Kind != LabelEventKind.Skip),
                db.LabelVotes.Where(v => v.DatasetId == d.Id && v.Kind != LabelEventKind.Skip).Select(v => v.ImageId).Distinct().Count(),
                db.FinalLabels.Count(f => f.DatasetId == d.Id)))
            .ToListAsync(ct);
    }
}
