using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Datasets;

public class CreateModel(PlatformDbContext db, TimeProvider clock) : PageModel
{
    [BindProperty]
    public CreateInput Input { get; set; } = new();

    public sealed class CreateInput
    {
        [Required, StringLength(100)]
        [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]*$", ErrorMessage = "Use letters, digits, '-', '_' or '.', starting with a letter or digit.")]
        public string Name { get; set; } = "";

        [StringLength(2000)]
        public string? Description { get; set; }
    }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (ModelState.IsValid && await db.Datasets.AnyAsync(d => d.Name == Input.Name, ct))
        {
            ModelState.AddModelError("Input.Name", $"A dataset named '{Input.Name}' already exists.");
        }

        if (!ModelState.IsValid)
        {
            return Page();
        }

        var dataset = new Dataset { Name = Input.Name, Description = Input.Description, CreatedAt = clock.GetUtcNow(), CreatedBy = User.Identity?.Name };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync(ct);
        TempData["Flash"] = $"Dataset {dataset.Name} created. Import images into it next.";
        return Redirect($"/Admin/Datasets/Import?datasetId={dataset.Id}");
    }
}
