using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Web.Evaluation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LabelPlatform.Web.Pages.Evaluation;

/// <summary>The query → result pairs behind one confusion cell: which images of one class pulled in the other.</summary>
public class PairsModel(PlatformDbContext db, EvaluationService evaluations) : PageModel
{
    public RunRow Run { get; private set; } = null!;
    public EvaluationReport Report { get; private set; } = null!;
    public int QueryClass { get; private set; }
    public int ResultClass { get; private set; }
    public List<(QueryResult Query, Hit Hit, int Rank)> Pairs { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, int queryClass, int resultClass, CancellationToken ct)
    {
        if (await db.FindRowAsync(id, ct) is not { } run)
        {
            return NotFound();
        }

        if (!run.Finished || await evaluations.LoadReportAsync(id, ct) is not { } report)
        {
            return Redirect($"/Evaluation/Report/{id}");
        }

        (Run, Report, QueryClass, ResultClass) = (run, report, queryClass, resultClass);
        if (!report.Classes.Any(c => c.Id == queryClass) || !report.Classes.Any(c => c.Id == resultClass))
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            ModelState.AddModelError(string.Empty, $"Class {queryClass} or {resultClass} is not a class of this report.");
            return Page();
        }

        Pairs = [.. report.Pairs(queryClass, resultClass)];
        return Page();
    }
}
