using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Images;

public class DetailsModel(PlatformDbContext db, LabelHistory history, LabelNames labelNames) : PageModel
{
    public DatasetImage Image { get; private set; } = null!;
    public string DatasetName { get; private set; } = "";
    public string? ClassName { get; private set; }
    public bool IsNoise { get; private set; }
    public long? PreviousId { get; private set; }
    public long? NextId { get; private set; }
    public List<HistoryEntry> History { get; private set; } = [];

    /// <summary>The human labels now: votes, consensus and final label (null when nobody has labelled the image).</summary>
    public ImageLabels? Human { get; private set; }
    public Dictionary<int, string> ClassNames { get; private set; } = [];
    public Dictionary<string, string> UserNames { get; private set; } = [];

    /// <summary>Where a crawled image came from; alt text and page title are hints for labellers.</summary>
    public ImageProvenance? Provenance { get; private set; }

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken ct)
    {
        var image = await db.Images.AsNoTracking().Include(i => i.SourceClass).Include(i => i.Dataset).FirstOrDefaultAsync(i => i.Id == id, ct);
        if (image is null)
        {
            return NotFound();
        }

        Image = image;
        Provenance = await db.ImageProvenance.AsNoTracking().FirstOrDefaultAsync(p => p.ImageId == id, ct);
        DatasetName = image.Dataset!.Name;
        ClassName = image.SourceClass?.Name;
        IsNoise = image.SourceClass?.IsNoise == true;
        PreviousId = await db.Images.Where(i => i.DatasetId == image.DatasetId && i.Id < id).OrderByDescending(i => i.Id).Select(i => (long?)i.Id).FirstOrDefaultAsync(ct);
        NextId = await db.Images.Where(i => i.DatasetId == image.DatasetId && i.Id > id).OrderBy(i => i.Id).Select(i => (long?)i.Id).FirstOrDefaultAsync(ct);
        History = await history.HistoryAsync(id, ct);
        if (History.Count > 0)
        {
            var board = await LabelBoard.LoadAsync(db, image.DatasetId, ct);
            Human = board.Images.GetValueOrDefault(id);
            ClassNames = await labelNames.ClassNamesAsync(image.DatasetId, ct);
            var ids = Human?.Votes.Select(v => v.UserId).ToList() ?? [];
            UserNames = await db.Users.Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.Id, ct);
        }

        return Page();
    }
}
