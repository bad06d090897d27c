using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Datasets;

/// <summary>
/// "Compute embeddings" from a dataset's page. The dataset page is open to every signed-in user, so starting a run
/// lives here, under /Admin, where the Admin policy guards it like every other admin action (the attribute repeats
/// what the folder convention already says, so moving the page cannot drop it).
/// </summary>
[Authorize(Policy = Policies.Admin)]
public class EmbedModel(PlatformDbContext db, ModelRegistry registry, EmbedRuns embedRuns) : PageModel
{
    /// <summary>Nothing to show: the forms are on the dataset's page.</summary>
    public IActionResult OnGet(int datasetId) => Redirect($"/Datasets/Details/{datasetId}");

    /// <summary>Queues an embed run for the dataset and model version (or finds the one already active) and opens it.</summary>
    public async Task<IActionResult> OnPostAsync(int datasetId, int modelId, CancellationToken ct)
    {
        var dataset = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (dataset is null || await registry.FindByIdAsync(modelId, ct) is not { } model)
        {
            return NotFound();
        }

        var run = await embedRuns.StartAsync(datasetId, modelId, User.Identity?.Name, ct);
        TempData["Flash"] = $"Embedding {dataset} with {model.Name} v{model.Version}: job run {run.Id}.";
        return Redirect($"/Admin/Jobs/Details/{run.Id}");
    }
}
