using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages.Label;

/// <summary>A page of thumbnails: select many, assign one class. <c>seed</c> starts from an image's nearest unlabelled neighbours.</summary>
public class GridModel(PlatformDbContext db, LabellingSettingsService labellingSettings) : PageModel
{
    public Workbench Bench { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int datasetId, long? seed, int count = 40, CancellationToken ct = default)
    {
        var bench = await Workbench.LoadAsync(db, labellingSettings, datasetId, "grid", Math.Clamp(count, 1, 200), seed, ct);
        if (bench is null)
        {
            return NotFound();
        }

        Bench = bench;
        return Page();
    }
}
