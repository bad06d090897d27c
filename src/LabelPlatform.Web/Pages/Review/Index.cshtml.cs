using LabelPlatform.Core.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Review;

public class IndexModel(PlatformDbContext db) : PageModel
{
    public sealed record ClassSize(string Name, int Count);

    public sealed record Row(int Id, string Name, int Images, int Classes, ClassSize? Smallest, double Median, ClassSize? Largest, int Noise, int Unlabelled, int Rejected);

    public List<Row> Rows { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        var datasets = await db.Datasets.AsNoTracking().OrderBy(d => d.Name).Select(d => new { d.Id, d.Name }).ToListAsync(ct);
        foreach (var d in datasets)
        {
            var classes = await db.ImageClasses.Where(c => c.DatasetId == d.Id)
                .Select(c => new { c.Name, c.IsNoise, Count = db.Images.Count(i => i.SourceClassId == c.Id) }).ToListAsync(ct);
            var total = await db.Images.CountAsync(i => i.DatasetId == d.Id, ct);
            var unlabelled = await db.Images.CountAsync(i => i.DatasetId == d.Id && i.SourceClassId == null, ct);
            var rejected = await db.RejectedFiles.CountAsync(r => r.DatasetId == d.Id, ct);
            var sizes = classes.OrderBy(c => c.Count).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
            var median = sizes.Count == 0 ? 0 : sizes.Count % 2 == 1 ? sizes[sizes.Count / 2].Count : (sizes[(sizes.Count / 2) - 1].Count + sizes[sizes.Count / 2].Count) / 2.0;
            Rows.Add(new Row(d.Id, d.Name, total, sizes.Count,
                sizes.Count > 0 ? new ClassSize(sizes[0].Name, sizes[0].Count) : null, median,
                sizes.Count > 0 ? new ClassSize(sizes[^1].Name, sizes[^1].Count) : null,
                classes.Where(c => c.IsNoise).Sum(c => c.Count), unlabelled, rejected));
        }
    }
}
