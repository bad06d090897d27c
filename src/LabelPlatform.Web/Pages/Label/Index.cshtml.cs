using LabelPlatform.Core.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Label;

public class IndexModel(PlatformDbContext db) : PageModel
{
    public sealed record Row(int Id, string Name, int Images, int Classes, int Unlabelled);

    public List<Row> Rows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Rows = await db.Datasets.AsNoTracking().OrderBy(d => d.Name)
            .Select(d => new Row(d.Id, d.Name, d.Images.Count, d.Classes.Count, d.Images.Count(i => i.SourceClassId == null && i.NearDuplicateOfId == null)))
            .ToListAsync(ct);
    }
}
