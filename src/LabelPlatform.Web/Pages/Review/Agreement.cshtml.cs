using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Review;

/// <summary>Agreement for one dataset (consensus counts, Fleiss' and Cohen's kappa), per-labeller figures, and exports.</summary>
public class AgreementModel(PlatformDbContext db, LabelAgreement agreement) : PageModel
{
    public int DatasetId { get; private set; }
    public string DatasetName { get; private set; } = "";
    public AgreementReport Report { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(int datasetId, CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return NotFound();
        }

        (DatasetId, DatasetName) = (datasetId, name);
        Report = await agreement.AgreementAsync(datasetId, ct);
        return Page();
    }
}
