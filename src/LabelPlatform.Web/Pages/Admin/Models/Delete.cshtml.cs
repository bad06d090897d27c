using LabelPlatform.Core.Deletion;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages.Admin.Models;

/// <summary>Deleting a model version behind one confirmation that states its effect in counts (<see cref="ModelDeletion.PlanAsync"/>).</summary>
public class DeleteModel(ModelDeletion deletion) : PageModel
{
    public ModelDeletionPlan Plan { get; private set; } = null!;

    [BindProperty]
    public bool Confirm { get; set; }

    public async Task<IActionResult> OnGetAsync(int modelId, CancellationToken ct) =>
        await deletion.PlanAsync(modelId, ct) is { } plan ? Show(plan) : NotFound();

    public async Task<IActionResult> OnPostAsync(int modelId, CancellationToken ct)
    {
        if (await deletion.PlanAsync(modelId, ct) is not { } plan)
        {
            return NotFound();
        }

        if (!Confirm)
        {
            ModelState.AddModelError(nameof(Confirm), "Tick the box to confirm; nothing was deleted.");
            return Show(plan);
        }

        try
        {
            var done = await deletion.DeleteAsync(modelId, ct);
            TempData["Flash"] = done is null ? "The model was already deleted." :
                $"{string.Join(" and ", done.Versions)} deleted with {done.Embeddings:N0} vector(s) and {done.Maps:N0} map(s); {done.EvaluationsKept:N0} evaluation report(s) kept as a record.";
            return RedirectToPage("/Admin/Models/Index");
        }
        catch (DeletionRefusedException ex)
        {
            ModelState.AddModelError(nameof(Confirm), ex.Message);
            return Show(await deletion.PlanAsync(modelId, ct) ?? plan);
        }
    }

    private PageResult Show(ModelDeletionPlan plan)
    {
        Plan = plan;
        return Page();
    }
}
