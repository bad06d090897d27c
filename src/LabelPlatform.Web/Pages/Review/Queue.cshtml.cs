using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Review;

/// <summary>
/// The reviewer's queues for one dataset: images whose labellers did not agree, images whose human label disagrees
/// with most of their nearest labelled neighbours, imported labels the nearest images disagree with, and identical
/// files that arrived under other labels. Each decision is a form post (post-redirect-get) carrying the
/// final-label version the reviewer saw and a client id rendered with the form (a resubmitted form changes nothing).
/// </summary>
public class QueueModel(PlatformDbContext db, LabelInsights insights, LabellingService labelling, Core.Datasets.DatasetService datasets) : PageModel
{
    public const int Shown = 50;

    public sealed record Item(long ImageId, string Origin, IReadOnlyList<(string User, string Label)> Votes, string? Note, IReadOnlyList<(int Id, string Name)> Quick, int? Version);

    public sealed class DecisionInput
    {
        [Required]
        public long ImageId { get; set; }

        public int? ClassId { get; set; }

        public bool Reject { get; set; }

        public int? ExpectedVersion { get; set; }

        [Required, StringLength(LabellingService.MaxClientIdLength)]
        public string ClientId { get; set; } = "";
    }

    [BindProperty]
    public DecisionInput Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string Queue { get; set; } = "consensus";

    public int DatasetId { get; private set; }
    public string DatasetName { get; private set; } = "";
    public List<(int Id, string Name)> Classes { get; private set; } = [];
    public List<Item> Items { get; private set; } = [];
    public int Total { get; private set; }
    public bool HasModel { get; private set; }

    /// <summary>For the import queue: the leave-one-out run it was read from (null when the dataset has none).</summary>
    public LabelInsights.SuspectSource? SuspectSource { get; private set; }

    public async Task<IActionResult> OnGetAsync(int datasetId, CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return NotFound();
        }

        (DatasetId, DatasetName) = (datasetId, name);
        var classNames = await insights.ClassNamesAsync(datasetId, ct);
        Classes = [.. classNames.OrderBy(c => c.Value, StringComparer.OrdinalIgnoreCase).Select(c => (c.Key, c.Value))];
        // Both neighbour queues: the label and the neighbours' class as the quick choices.
        List<Item> FromDisagreements(List<Disagreement> found, Func<Disagreement, string> note)
        {
            Total = found.Count;
            return [.. found.Take(Shown).Select(d => new Item(d.ImageId, "", [], note(d),
                [.. new[] { (d.Label.ClassId ?? 0, d.LabelName), (d.NeighbourClassId, d.NeighbourClassName) }.Where(q => q.Item1 != 0)], null))];
        }

        if (Queue == "knn")
        {
            HasModel = await insights.ModelAsync(datasetId, ct) is not null;
            Items = FromDisagreements(await insights.DisagreementsAsync(datasetId, 1000, ct), d =>
                $"labelled {d.LabelName}, but {d.NeighbourShare:P0} of its nearest labelled neighbours are {d.NeighbourClassName} ({d.LabelShare:P0} agree)");
        }
        else if (Queue == "import")
        {
            var (source, found) = await insights.ImportSuspectsAsync(datasetId, ct);
            SuspectSource = source;
            Items = FromDisagreements(found, d =>
                $"imported as {d.LabelName}, but {d.NeighbourShare:P0} of its {ImportLabelSuspects.Neighbours} nearest images are {d.NeighbourClassName} ({d.LabelShare:P0} agree)");
        }
        else if (Queue == "conflicts")
        {
            // Images a reviewer already decided are settled; the rest show every label their copies came with.
            var decided = await db.FinalLabels.Where(f => f.DatasetId == datasetId).Select(f => f.ImageId).ToHashSetAsync(ct);
            var open = (await datasets.LabelConflictsAsync(datasetId, int.MaxValue, ct)).Where(c => !decided.Contains(c.ImageId)).ToList();
            Total = open.Count;
            string NameOf(int? id) => id is { } c ? classNames.GetValueOrDefault(c, "?") : "unlabelled";
            Items = [.. open.Take(Shown).Select(c => new Item(c.ImageId, "", [], $"kept as {NameOf(c.KeptClassId)} ({c.KeptOrigin}); also {string.Join(", ", c.Copies.Select(x => $"{NameOf(x.ClassId)} ({x.Origin})"))}",
                [.. new[] { c.KeptClassId }.Concat(c.Copies.Select(x => x.ClassId)).OfType<int>().Distinct().Where(classNames.ContainsKey).Select(id => (id, classNames[id]))], null))];
        }
        else
        {
            Queue = "consensus";
            var open = await insights.NoConsensusAsync(datasetId, 1000, ct);
            Total = open.Count;
            var votes = await db.LabelVotes.AsNoTracking().Where(v => v.DatasetId == datasetId && v.ClassId != null && v.Kind != LabelEventKind.Skip)
                .Select(v => new { v.ImageId, ClassId = v.ClassId!.Value }).ToListAsync(ct);
            var byImage = votes.ToLookup(v => v.ImageId, v => v.ClassId);
            Items = [.. open.Take(Shown).Select(o => new Item(o.ImageId, "", o.Votes, null,
                [.. byImage[o.ImageId].Distinct().Where(classNames.ContainsKey).Select(c => (c, classNames[c]))], null))];
        }

        var ids = Items.Select(i => i.ImageId).ToList();
        var origins = await db.Images.Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, i => i.Origin, ct);
        var versions = await db.FinalLabels.Where(f => ids.Contains(f.ImageId)).ToDictionaryAsync(f => f.ImageId, f => f.Version, ct);
        Items = [.. Items.Select(i => i with { Origin = origins.GetValueOrDefault(i.ImageId, ""), Version = versions.TryGetValue(i.ImageId, out var v) ? v : null })];
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(int datasetId, CancellationToken ct)
    {
        if (!ModelState.IsValid || (Input.ClassId is null) == !Input.Reject)
        {
            TempData["Conflict"] = "Choose a class or reject.";
            return RedirectToPage(new { datasetId, queue = Queue });
        }

        try
        {
            var userId = User.FindFirstValue(ClaimTypes.NameIdentifier)!;
            var result = await labelling.SetFinalAsync(new ReviewRequest(datasetId, Input.ImageId, userId, Input.ClientId, Input.Reject ? null : Input.ClassId, Input.Reject, Input.ExpectedVersion), ct);
            TempData["Flash"] = result.Duplicate
                ? $"Image {Input.ImageId}: this decision was already saved (version {result.Version})."
                : $"Image {Input.ImageId}: final label saved (version {result.Version}).";
        }
        catch (LabelConflictException ex)
        {
            TempData["Conflict"] = $"Image {Input.ImageId}: {ex.Message}";
        }
        catch (LabellingException ex)
        {
            TempData["Conflict"] = $"Image {Input.ImageId}: {ex.Message}";
        }

        return RedirectToPage(new { datasetId, queue = Queue });
    }
}
