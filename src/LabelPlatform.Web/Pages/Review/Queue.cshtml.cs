using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Review;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Review;

/// <summary>
/// The reviewer's queues for one dataset: images whose labellers did not agree, images whose human label disagrees
/// with most of their nearest labelled neighbours, imported labels the nearest images disagree with, and identical
/// files that arrived under other labels, paged (?p=N) through the whole queue. With script, review/main.js decides from
/// the keyboard through /api/review without a reload; without it each decision is a form post (post-redirect-get)
/// carrying the final-label version the reviewer saw and a client id rendered with the form (a resubmitted form
/// changes nothing).
/// </summary>
public class QueueModel(PlatformDbContext db, ReviewDesk desk, ReviewDecisions decisions) : PageModel
{
    public const int Shown = ReviewDesk.PageSize;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public sealed class DecisionInput
    {
        [Required]
        public long ImageId { get; set; }

        public int? ClassId { get; set; }

        public bool Reject { get; set; }

        public int? ExpectedVersion { get; set; }

        [Required, StringLength(LabelWrites.MaxClientIdLength)]
        public string ClientId { get; set; } = "";
    }

    [BindProperty]
    public DecisionInput Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string Queue { get; set; } = ReviewQueueNames.Consensus;

    public int DatasetId { get; private set; }
    public string DatasetName { get; private set; } = "";
    public List<(int Id, string Name)> Classes { get; private set; } = [];
    public ReviewQueuePage Result { get; private set; } = null!;
    public IReadOnlyList<ReviewItem> Items => Result.Items;
    public int Total => Result.Total;
    public bool HasModel => Result.HasModel;

    /// <summary>For the import queue: the leave-one-out run it was read from (null when the dataset has none).</summary>
    public LabelPlatform.Core.Review.SuspectSource? SuspectSource => Result.Source;

    /// <summary>What review/main.js needs, as JSON in a data attribute (the Content-Security-Policy allows no inline script).</summary>
    public string ConfigJson { get; private set; } = "{}";

    public string PageLink(int p) => $"/Review/Queue/{DatasetId}?queue={Queue}&p={p}";

    // [FromQuery(Name = "p")]: Razor Pages' own 'page' route value would shadow a ?page=N.
    public async Task<IActionResult> OnGetAsync(int datasetId, [FromQuery(Name = "p")] int pageNumber = 1, CancellationToken ct = default)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return NotFound();
        }

        (DatasetId, DatasetName) = (datasetId, name);
        Queue = ReviewQueueNames.Normalise(Queue);
        Classes = [.. (await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).Select(c => new { c.Id, c.Name }).ToListAsync(ct))
            .OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Select(c => (c.Id, c.Name))];
        Result = await desk.PageAsync(datasetId, Queue, pageNumber, ct);
        ConfigJson = JsonSerializer.Serialize(new
        {
            datasetId, queue = Queue, page = Result.PageNumber, pageCount = Result.PageCount, total = Result.Total, hasModel = Result.HasModel,
            classes = Classes.Select(c => new { id = c.Id, name = c.Name }),
            items = Result.Items.Select(i => new
            {
                id = i.ImageId, version = i.Version, origin = i.Origin, note = i.Note,
                votes = i.Votes.Select(v => new { user = v.User, label = v.Label }),
                quick = i.Quick.Select(q => new { id = q.ClassId, name = q.Name }),
                majority = i.Majority is { } m ? new { id = m.ClassId, name = m.Name, basis = m.Basis } : null,
            }),
        }, Json);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(int datasetId, [FromQuery(Name = "p")] int pageNumber = 1, CancellationToken ct = default)
    {
        if (!ModelState.IsValid || (Input.ClassId is null) == !Input.Reject)
        {
            TempData["Conflict"] = "Choose a class or reject.";
            return RedirectToPage(new { datasetId, queue = Queue, p = pageNumber });
        }

        try
        {
            var userId = User.FindFirstValue(ClaimTypes.NameIdentifier)!;
            var result = await decisions.SetFinalAsync(new ReviewRequest(datasetId, Input.ImageId, userId, Input.ClientId, Input.Reject ? null : Input.ClassId, Input.Reject, Input.ExpectedVersion), ct);
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

        return RedirectToPage(new { datasetId, queue = Queue, p = pageNumber });
    }
}
