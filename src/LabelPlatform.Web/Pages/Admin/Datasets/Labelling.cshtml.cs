using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Datasets;

/// <summary>A dataset's labelling settings: overlap (labellers per image), lease length, and the model for suggestions.</summary>
public class LabellingModel(PlatformDbContext db, LabellingService labelling) : PageModel
{
    public sealed class SettingsInput
    {
        [Range(1, LabellingSettings.MaxOverlap)]
        public int Overlap { get; set; } = LabellingSettings.DefaultOverlap;

        [Range(10, 3600)]
        public int LeaseSeconds { get; set; } = LabellingSettings.DefaultLeaseSeconds;

        public int? ModelId { get; set; }
    }

    [BindProperty]
    public SettingsInput Input { get; set; } = new();

    public string DatasetName { get; private set; } = "";
    public List<(int Id, string Name)> Models { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(int datasetId, CancellationToken ct)
    {
        if (!await LoadAsync(datasetId, ct))
        {
            return NotFound();
        }

        var s = await labelling.GetSettingsAsync(datasetId, ct);
        Input = new SettingsInput { Overlap = s.Overlap, LeaseSeconds = s.LeaseSeconds, ModelId = s.ModelId };
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(int datasetId, CancellationToken ct)
    {
        if (!await LoadAsync(datasetId, ct))
        {
            return NotFound();
        }

        if (Input.ModelId is { } m && Models.All(x => x.Id != m))
        {
            ModelState.AddModelError("Input.ModelId", "Unknown model.");
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        await labelling.SaveSettingsAsync(datasetId, Input.Overlap, Input.LeaseSeconds, Input.ModelId, User.Identity?.Name ?? "admin", ct);
        TempData["Flash"] = $"Labelling settings of {DatasetName} saved: overlap {Input.Overlap}, lease {Input.LeaseSeconds} s.";
        return RedirectToPage(new { datasetId });
    }

    private async Task<bool> LoadAsync(int datasetId, CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return false;
        }

        DatasetName = name;
        Models = [.. (await db.EmbeddingModels.AsNoTracking().OrderBy(m => m.Name).ThenBy(m => m.Version).Select(m => new { m.Id, m.Name, m.Version }).ToListAsync(ct))
            .Select(m => (m.Id, $"{m.Name} v{m.Version}"))];
        return true;
    }
}
