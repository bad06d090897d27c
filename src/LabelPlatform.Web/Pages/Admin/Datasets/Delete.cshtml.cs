using LabelPlatform.Core.Deletion;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages.Admin.Datasets;

/// <summary>
/// Deleting a dataset behind one confirmation that states its effect in counts (<see cref="DatasetDeletion.PlanAsync"/>);
/// the admin types the dataset's name. Refused, with the reason, while one of its jobs or crawls runs.
/// </summary>
public class DeleteModel(DatasetDeletion deletion) : PageModel
{
    public DatasetDeletionPlan Plan { get; private set; } = null!;

    [BindProperty]
    public string? Confirm { get; set; }

    public async Task<IActionResult> OnGetAsync(int datasetId, CancellationToken ct) =>
        await deletion.PlanAsync(datasetId, ct) is { } plan ? Show(plan) : NotFound();

    public async Task<IActionResult> OnPostAsync(int datasetId, CancellationToken ct)
    {
        if (await deletion.PlanAsync(datasetId, ct) is not { } plan)
        {
            return NotFound();
        }

        if (!string.Equals(Confirm?.Trim(), plan.Name, StringComparison.Ordinal))
        {
            ModelState.AddModelError(nameof(Confirm), $"Type {plan.Name} to confirm; nothing was deleted.");
            return Show(plan);
        }

        try
        {
            var done = await deletion.DeleteAsync(datasetId, ct);
            TempData["Flash"] = done is null ? $"{plan.Name} was already deleted." :
                $"Dataset {done.Name} deleted: {done.Images:N0} image(s), {done.FilesRemoved:N0} stored file(s), {done.LabelEvents:N0} label event(s), {done.Embeddings:N0} vector(s); {done.EvaluationsKept:N0} evaluation report(s) kept as a record.";
            return RedirectToPage("/Datasets/Index");
        }
        catch (DeletionRefusedException ex)
        {
            ModelState.AddModelError(nameof(Confirm), ex.Message);
            return Show(await deletion.PlanAsync(datasetId, ct) ?? plan);
        }
    }

    private PageResult Show(DatasetDeletionPlan plan)
    {
        Plan = plan;
        return Page();
    }
}
