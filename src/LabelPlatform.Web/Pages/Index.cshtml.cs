using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages;

/// <summary>
/// Home: per dataset, how far it got along import → embed → label → evaluate, and a link to the next step for the
/// signed-in user's role.
/// </summary>
public class IndexModel(PlatformDbContext db) : PageModel
{
    public enum Step
    {
        Import,
        Embed,
        Label,
        Evaluate,
        Done,
    }

    /// <summary>Embedded counts the images of the model that embedded most of them; labelled, images people voted on or decided.</summary>
    public sealed record Progress(int Id, string Name, int Images, int Embedded, int Labelled, int Evaluations, long? LatestReportId)
    {
        public Step Next => Images == 0 ? Step.Import
            : Embedded < Images ? Step.Embed
            : Labelled < Images ? Step.Label
            : Evaluations == 0 ? Step.Evaluate
            : Step.Done;

        public static int Percent(int part, int whole) => whole == 0 ? 0 : (int)Math.Floor(100.0 * part / whole);
    }

    public int Images { get; private set; }
    public int ActiveJobs { get; private set; }
    public bool HasRole { get; private set; }
    public List<Progress> Datasets { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        HasRole = Roles.All.Any(User.IsInRole);
        if (!HasRole)
        {
            return;
        }

        var datasets = await db.Datasets.AsNoTracking().OrderBy(d => d.Name).Select(d => new { d.Id, d.Name }).ToListAsync(ct);
        var images = await db.Images.GroupBy(i => i.DatasetId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var embedded = (await db.Embeddings.Join(db.Images, e => e.ImageId, i => i.Id, (e, i) => new { i.DatasetId, e.ModelId })
                .GroupBy(x => new { x.DatasetId, x.ModelId }).Select(g => new { g.Key.DatasetId, Count = g.Count() }).ToListAsync(ct))
            .GroupBy(x => x.DatasetId).ToDictionary(g => g.Key, g => g.Max(x => x.Count));
        var labelled = await db.Images.Where(i => db.LabelVotes.Any(v => v.ImageId == i.Id) || db.FinalLabels.Any(f => f.ImageId == i.Id))
            .GroupBy(i => i.DatasetId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var evaluations = (await db.EvaluationRuns.AsNoTracking().Where(r => r.ReportGzip != null).Select(r => new { r.DatasetId, r.Id }).ToListAsync(ct))
            .GroupBy(r => r.DatasetId).ToDictionary(g => g.Key, g => (Count: g.Count(), Latest: g.Max(r => r.Id)));
        Datasets = [.. datasets.Select(d => new Progress(d.Id, d.Name, images.GetValueOrDefault(d.Id), embedded.GetValueOrDefault(d.Id), labelled.GetValueOrDefault(d.Id),
            evaluations.TryGetValue(d.Id, out var e) ? e.Count : 0, evaluations.TryGetValue(d.Id, out var l) ? l.Latest : null))];
        Images = images.Values.Sum();
        ActiveJobs = await db.JobRuns.CountAsync(j => j.State == JobState.Queued || j.State == JobState.Running, ct);
    }
}
