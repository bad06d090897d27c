using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages.Label;

/// <summary>One image at a time, keyboard first. The page is a shell: the modules in wwwroot/js/label/ fetch, preload and submit.</summary>
public class WorkModel(PlatformDbContext db, LabellingSettingsService labellingSettings) : PageModel
{
    public Workbench Bench { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int datasetId, CancellationToken ct)
    {
        var bench = await Workbench.LoadAsync(db, labellingSettings, datasetId, "single", 3, null, ct);
        if (bench is null)
        {
            return NotFound();
        }

        Bench = bench;
        return Page();
    }
}
