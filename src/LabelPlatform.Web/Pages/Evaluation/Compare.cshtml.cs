using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Web.Evaluation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Evaluation;

/// <summary>Run B against run A: headline figures, per-class deltas and a paired randomisation test on AP@K.</summary>
public class CompareModel(PlatformDbContext db, EvaluationService evaluations) : PageModel
{
    public const double Significance = 0.05;

    public RunRow? A { get; private set; }
    public RunRow? B { get; private set; }
    public EvaluationReport? ReportA { get; private set; }
    public EvaluationReport? ReportB { get; private set; }
    public ComparisonResult? Result { get; private set; }

    /// <summary>Where the runs' numbers were made differently (execution path, CPUs, labels): shown before the figures.</summary>
    public IReadOnlyList<string> ProvenanceDifferences { get; private set; } = [];

    /// <summary>Why the runs cannot be compared (shown with a 400), or null.</summary>
    public string? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(long? a, long? b, int? k, CancellationToken ct)
    {
        if (a is null || b is null)
        {
            return Refuse("Choose two runs to compare (?a=…&b=…).");
        }

        A = await db.FindRowAsync(a.Value, ct);
        B = await db.FindRowAsync(b.Value, ct);
        if (A is null || B is null)
        {
            return Refuse($"Run {(A is null ? a : b)} does not exist.");
        }

        ReportA = A.Finished ? await evaluations.LoadReportAsync(A.Id, ct) : null;
        ReportB = B.Finished ? await evaluations.LoadReportAsync(B.Id, ct) : null;
        if (ReportA is null || ReportB is null)
        {
            return Refuse($"Run #{(ReportA is null ? A.Id : B.Id)} has not finished: only finished runs can be compared.");
        }

        var cut = k ?? ReportB.MainK;
        if (!ReportA.Ks.Contains(cut) || !ReportB.Ks.Contains(cut))
        {
            return Refuse($"K = {cut} is not measured by both runs (run #{A.Id} has {string.Join(",", ReportA.Ks)}, run #{B.Id} has {string.Join(",", ReportB.Ks)}).");
        }

        var shared = ReportA.QueryResults.Where(q => q.Relevant > 0).Select(q => q.ImageId)
            .Intersect(ReportB.QueryResults.Where(q => q.Relevant > 0).Select(q => q.ImageId)).Count();
        if (shared == 0)
        {
            return Refuse($"Runs #{A.Id} ({A.Dataset}/{A.Split}) and #{B.Id} ({B.Dataset}/{B.Split}) share no query: compare runs of the same split.");
        }

        Result = RunComparison.Compare(ReportA, ReportB, cut);
        var manifests = await db.EvaluationRuns.Where(r => r.Id == A.Id || r.Id == B.Id).Select(r => new { r.Id, r.ManifestJson }).ToDictionaryAsync(r => r.Id, r => r.ManifestJson, ct);
        ProvenanceDifferences = RunProvenance.Differences(manifests[A.Id], manifests[B.Id]);
        return Page();
    }

    /// <summary>The p-value in plain words.</summary>
    public string Reading(ComparisonResult r)
    {
        var p = r.PValue.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);
        if (r.PValue < Significance)
        {
            var direction = r.ApDelta > 0 ? "better" : "worse";
            return $"Run B is {direction} than run A on AP@{r.K} by {Math.Abs(r.ApDelta):0.0000}, and chance alone would rarely give a difference this large (p = {p} < {Significance}).";
        }

        return $"The difference ({r.ApDelta:+0.0000;-0.0000;0}) could well be chance (p = {p} ≥ {Significance}): these {r.SharedQueries} queries do not show either run to be better.";
    }

    private PageResult Refuse(string problem)
    {
        Problem = problem;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
