using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Labelling.Queue;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Datasets;

/// <summary>
/// A dataset's labelling settings: overlap (labellers per image), lease length, the model for suggestions, and its
/// classes (an imported dataset brings its folder names; a crawled one starts with none, so they are added here).
/// </summary>
public class LabellingModel(PlatformDbContext db, LabellingSettingsService labellingSettings, DatasetService datasets) : PageModel
{
    public const int MaxClassName = ImageClass.MaxNameLength;
    public const int MaxClassesPerPost = 500;

    public sealed class ClassesInput
    {
        /// <summary>New class names, one per line.</summary>
        public string? Names { get; set; }

        /// <summary>The noise/background class, new or existing; empty leaves it as it is.</summary>
        public string? NoiseClass { get; set; }
    }

    [BindProperty]
    public ClassesInput Classes { get; set; } = new();

    public List<(int Id, string Name, bool IsNoise, int Images, string? Hotkey)> ExistingClasses { get; private set; } = [];

    public sealed class ClassEditInput
    {
        public int? ClassId { get; set; }

        public string? NewName { get; set; }

        /// <summary>F1-F12 or Alt+letter/digit; empty clears it.</summary>
        public string? Hotkey { get; set; }
    }

    /// <summary>Rename or delete one class (a typo, a class added by mistake).</summary>
    [BindProperty]
    public ClassEditInput Edit { get; set; } = new();

    public sealed class SettingsInput
    {
        [Range(1, LabellingSettings.MaxOverlap)]
        public int Overlap { get; set; } = LabellingSettings.DefaultOverlap;

        [Range(10, 3600)]
        public int LeaseSeconds { get; set; } = LabellingSettings.DefaultLeaseSeconds;

        public int? ModelId { get; set; }

        public QueueOrder Order { get; set; } = QueueOrder.Random;

        public bool ShowImportLabels { get; set; }
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

        var s = await labellingSettings.GetSettingsAsync(datasetId, ct);
        Input = new SettingsInput { Overlap = s.Overlap, LeaseSeconds = s.LeaseSeconds, ModelId = s.ModelId, Order = s.Order, ShowImportLabels = s.ShowImportLabels };
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

        if (!Enum.IsDefined(Input.Order))
        {
            ModelState.AddModelError("Input.Order", "Unknown queue order.");
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        await labellingSettings.SaveSettingsAsync(datasetId, Input.Overlap, Input.LeaseSeconds, Input.ModelId, User.Identity?.Name ?? "admin", Input.Order, Input.ShowImportLabels, ct);
        TempData["Flash"] = $"Labelling settings of {DatasetName} saved: overlap {Input.Overlap}, lease {Input.LeaseSeconds} s, {Input.Order.ToString().ToLowerInvariant()} order, import labels {(Input.ShowImportLabels ? "shown" : "hidden")}.";
        return RedirectToPage(new { datasetId });
    }

    /// <summary>Adds classes (and optionally names the noise class); existing names are left as they are.</summary>
    public async Task<IActionResult> OnPostClassesAsync(int datasetId, CancellationToken ct)
    {
        if (!await LoadAsync(datasetId, ct))
        {
            return NotFound();
        }

        ModelState.Clear();
        var names = (Classes.Names ?? "").Split('\n').Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var noise = string.IsNullOrWhiteSpace(Classes.NoiseClass) ? null : Classes.NoiseClass.Trim();
        // Every class the post names: the new ones and the noise class (which may be new too).
        List<string> all = noise is null || names.Contains(noise) ? names : [.. names, noise];
        var bad = all.FirstOrDefault(n => !ImageClass.IsValidName(n));
        if (bad is not null)
        {
            ModelState.AddModelError("Classes.Names", $"Class names are 1-{MaxClassName} characters without control characters: '{(bad.Length > 40 ? bad[..40] + "…" : bad)}' is not.");
        }
        else if (names.Count > MaxClassesPerPost)
        {
            ModelState.AddModelError("Classes.Names", $"At most {MaxClassesPerPost} classes at a time ({names.Count} given).");
        }
        else if (names.Count == 0 && noise is null)
        {
            ModelState.AddModelError("Classes.Names", "Give at least one class name (one per line) or a noise class.");
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var known = ExistingClasses.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var added = all.Count(n => !known.Contains(n));
        await datasets.EnsureClassesAsync(datasetId, all, noise, ct);
        TempData["Flash"] = $"{added} class{(added == 1 ? "" : "es")} added to {DatasetName}" + (noise is null ? "." : $"; noise/background class: {noise}.");
        return RedirectToPage(new { datasetId });
    }

    public async Task<IActionResult> OnPostRenameAsync(int datasetId, CancellationToken ct) =>
        await EditClassAsync(datasetId, async classId =>
        {
            if (string.IsNullOrWhiteSpace(Edit.NewName))
            {
                throw new ClassEditException("Give the new name.");
            }

            var (oldName, newName) = await datasets.RenameClassAsync(datasetId, classId, Edit.NewName, ct);
            return oldName == newName ? $"'{oldName}' already has that name." : $"Class '{oldName}' renamed to '{newName}'; its labels keep it.";
        }, ct);

    public async Task<IActionResult> OnPostHotkeyAsync(int datasetId, CancellationToken ct) =>
        await EditClassAsync(datasetId, async classId =>
        {
            var key = string.IsNullOrWhiteSpace(Edit.Hotkey) ? null : Edit.Hotkey.Trim();
            key = key is { Length: >= 2 } && key.StartsWith("alt+", StringComparison.OrdinalIgnoreCase) ? "Alt+" + key[4..].ToUpperInvariant() : key?.ToUpperInvariant();
            var name = await datasets.SetHotkeyAsync(datasetId, classId, key, ct);
            return key is null ? $"'{name}' has no hotkey now." : $"{key} now picks '{name}'.";
        }, ct);

    public async Task<IActionResult> OnPostDeleteClassAsync(int datasetId, CancellationToken ct) =>
        await EditClassAsync(datasetId, async classId => $"Class '{await datasets.DeleteClassAsync(datasetId, classId, ct)}' deleted.", ct);

    private async Task<IActionResult> EditClassAsync(int datasetId, Func<int, Task<string>> edit, CancellationToken ct)
    {
        if (!await LoadAsync(datasetId, ct))
        {
            return NotFound();
        }

        ModelState.Clear();
        if (Edit.ClassId is not { } classId)
        {
            ModelState.AddModelError("Edit.ClassId", "Pick a class.");
            return Page();
        }

        try
        {
            TempData["Flash"] = await edit(classId);
        }
        catch (ClassEditException e)
        {
            ModelState.AddModelError(e.Message.Contains("hotkey", StringComparison.OrdinalIgnoreCase) || e.Message.Contains(" picks ", StringComparison.Ordinal) ? "Edit.Hotkey" : "Edit.NewName", e.Message);
            return Page();
        }

        return RedirectToPage(null, null, new { datasetId }, "classes");
    }

    private async Task<bool> LoadAsync(int datasetId, CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return false;
        }

        DatasetName = name;
        ExistingClasses = [.. (await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).OrderBy(c => c.Name)
                .Select(c => new { c.Id, c.Name, c.IsNoise, c.Hotkey, Images = db.Images.Count(i => i.SourceClassId == c.Id) }).ToListAsync(ct))
            .Select(c => (c.Id, c.Name, c.IsNoise, c.Images, c.Hotkey))];
        Models = [.. (await db.EmbeddingModels.AsNoTracking().OrderBy(m => m.Name).ThenBy(m => m.Version).Select(m => new { m.Id, m.Name, m.Version }).ToListAsync(ct))
            .Select(m => (m.Id, $"{m.Name} v{m.Version}"))];
        return true;
    }
}
