using LabelPlatform.Core.Deletion;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages.Admin.Crawls;

/// <summary>Deleting a crawl and the images it stored, behind one confirmation with the counts; a running crawl is refused.</summary>
public class DeleteModel(CrawlDeletion deletion) : PageModel
{
    public CrawlDeletionPlan Plan { get; private set; } = null!;

    [BindProperty]
    public bool Confirm { get; set; }

    public async Task<IActionResult> OnGetAsync(int crawlId, CancellationToken ct) =>
        await deletion.PlanAsync(crawlId, ct) is { } plan ? Show(plan) : NotFound();

    public async Task<IActionResult> OnPostAsync(int crawlId, CancellationToken ct)
    {
        if (await deletion.PlanAsync(crawlId, ct) is not { } plan)
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
            var done = await deletion.DeleteAsync(crawlId, ct);
            TempData["Flash"] = done is null ? $"Crawl {crawlId} was already deleted." :
                $"Crawl {crawlId} deleted with {done.Urls:N0} URL(s), {done.Images:N0} image(s) and {done.FilesRemoved:N0} stored file(s).";
            return RedirectToPage("/Admin/Crawls/Index");
        }
        catch (DeletionRefusedException ex)
        {
            ModelState.AddModelError(nameof(Confirm), ex.Message);
            return Show(await deletion.PlanAsync(crawlId, ct) ?? plan);
        }
    }

    private PageResult Show(CrawlDeletionPlan plan)
    {
        Plan = plan;
        return Page();
    }
}
