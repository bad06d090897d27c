using System.Security.Claims;
using LabelPlatform.Core.Browsing;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Datasets;

/// <summary>
/// The data browser: a dataset's images filtered and sorted from a sidebar form (GET, so a view is a link), paged, with
/// a selection that bulk actions post to (post-redirect-get back to the same view). The work is in
/// <see cref="BrowseQuery"/> and <see cref="BrowseActions"/>; this model binds and reports.
/// </summary>
[Authorize(Policy = Policies.Reviewer)]
public class BrowseModel(PlatformDbContext db, BrowseQuery query, BrowseActions actions) : PageModel
{
    [BindProperty(SupportsGet = true)] public int? Import { get; set; }

    /// <summary>A class id, or "rejected".</summary>
    [BindProperty(SupportsGet = true)] public string? Final { get; set; }
    [BindProperty(SupportsGet = true)] public int? Consensus { get; set; }
    [BindProperty(SupportsGet = true)] public VoteState State { get; set; }
    [BindProperty(SupportsGet = true)] public string? Labeller { get; set; }

    /// <summary>"only" or "exclude".</summary>
    [BindProperty(SupportsGet = true)] public string? Dup { get; set; }
    [BindProperty(SupportsGet = true)] public string? Host { get; set; }
    [BindProperty(SupportsGet = true)] public BrowseSort Sort { get; set; }
    [BindProperty(SupportsGet = true)] public long? Like { get; set; }
    [BindProperty(SupportsGet = true)] public int Size { get; set; } = BrowseFilter.DefaultPageSize;

    // Razor Pages' own 'page' route value would shadow a ?page=N.
    [BindProperty(SupportsGet = true, Name = "p")] public int PageNumber { get; set; } = 1;

    [BindProperty] public List<long> Ids { get; set; } = [];
    [BindProperty] public int? ClassId { get; set; }
    [BindProperty] public string? Batch { get; set; }
    [BindProperty] public bool Understand { get; set; }
    [BindProperty] public string? Note { get; set; }

    public int DatasetId { get; private set; }
    public string DatasetName { get; private set; } = "";
    public BrowsePage Result { get; private set; } = null!;
    public BrowseFacets Facets { get; private set; } = null!;

    /// <summary>Rendered with the form: the decisions of one rendering are one batch, so a resubmission writes nothing twice.</summary>
    public string NewBatch { get; } = Guid.NewGuid().ToString("N")[..16];

    public async Task<IActionResult> OnGetAsync(int datasetId, CancellationToken ct)
    {
        if (!await LoadDatasetAsync(datasetId, ct))
        {
            return NotFound();
        }

        Size = BrowseFilter.NormalisePageSize(Size);
        Facets = await query.FacetsAsync(datasetId, ct);
        Result = await query.PageAsync(datasetId, Filter(), ct);
        return Page();
    }

    public Task<IActionResult> OnPostRelabelAsync(int datasetId, CancellationToken ct) =>
        ClassId is null ? Back(datasetId, error: "Choose the class to relabel the selection with.") : DecideAsync(datasetId, reject: false, ct);

    public Task<IActionResult> OnPostRejectAsync(int datasetId, CancellationToken ct) => DecideAsync(datasetId, reject: true, ct);

    public async Task<IActionResult> OnPostFlagAsync(int datasetId, CancellationToken ct)
    {
        try
        {
            var done = await actions.FlagAsync(datasetId, Ids, User.FindFirstValue(ClaimTypes.NameIdentifier)!, Note, ct);
            return await Back(datasetId, flash: $"{done.Flagged} image(s) sent to review" + (done.AlreadyOpen > 0 ? $", {done.AlreadyOpen} already waiting there" : "") + $": they wait in the Flagged queue (/Review/Queue/{datasetId}?queue=flagged) until decided.");
        }
        catch (BrowseSelectionException ex)
        {
            return await Back(datasetId, error: ex.Message);
        }
    }

    public async Task<IActionResult> OnPostExportAsync(int datasetId, CancellationToken ct)
    {
        try
        {
            var csv = await actions.CsvAsync(datasetId, Ids, ct);
            return File(System.Text.Encoding.UTF8.GetBytes(csv), "text/csv", $"dataset-{datasetId}-selection.csv");
        }
        catch (BrowseSelectionException ex)
        {
            return await Back(datasetId, error: ex.Message);
        }
    }

    public async Task<IActionResult> OnPostDeleteAsync(int datasetId, CancellationToken ct)
    {
        if (!Understand)
        {
            return await Back(datasetId, error: "Nothing deleted: tick “I understand” to delete the selected images and their files.");
        }

        try
        {
            var done = await actions.DeleteAsync(datasetId, Ids, ct);
            return await Back(datasetId, flash: $"Deleted {done.Images} image(s) and {done.FilesDeleted} file(s); {done.FilesKept} file(s) kept because other images have the same bytes.");
        }
        catch (BrowseSelectionException ex)
        {
            return await Back(datasetId, error: ex.Message);
        }
    }

    /// <summary>The current view's query string with some values changed (null removes one).</summary>
    public string Link(object? overrides = null)
    {
        var values = Values();
        if (overrides is not null)
        {
            foreach (var property in overrides.GetType().GetProperties())
            {
                values[property.Name] = property.GetValue(overrides)?.ToString();
            }
        }

        return $"/Datasets/Browse/{DatasetId}" + Microsoft.AspNetCore.Http.QueryString.Create(values.Where(v => !string.IsNullOrEmpty(v.Value)));
    }

    /// <summary>The view's non-default query values, by query name (the jump form carries them as hidden fields).</summary>
    public Dictionary<string, string?> Values() => new()
        {
            ["import"] = Import?.ToString(), ["final"] = Final, ["consensus"] = Consensus?.ToString(),
            ["state"] = State == VoteState.Any ? null : State.ToString(), ["labeller"] = Labeller, ["dup"] = Dup, ["host"] = Host,
            ["sort"] = Sort == BrowseSort.Id ? null : Sort.ToString(), ["like"] = Like?.ToString(),
            ["size"] = Size == BrowseFilter.DefaultPageSize ? null : Size.ToString(), ["p"] = PageNumber > 1 ? PageNumber.ToString() : null,
        };

    private BrowseFilter Filter() => new()
    {
        ImportClassId = Import,
        FinalClassId = int.TryParse(Final, out var f) ? f : null,
        FinalRejected = string.Equals(Final, "rejected", StringComparison.OrdinalIgnoreCase),
        ConsensusClassId = Consensus,
        State = State,
        LabellerId = string.IsNullOrWhiteSpace(Labeller) ? null : Labeller,
        NearDuplicate = Dup switch { "only" => true, "exclude" => false, _ => null },
        Host = Host,
        Sort = Sort,
        LikeImageId = Like,
        PageSize = Size,
        Page = PageNumber,
    };

    private async Task<IActionResult> DecideAsync(int datasetId, bool reject, CancellationToken ct)
    {
        try
        {
            var batch = Batch is { Length: 16 } b && b.All(char.IsAsciiHexDigitLower) ? b : NewBatch;
            var done = await actions.DecideAsync(datasetId, Ids, reject ? null : ClassId, reject, User.FindFirstValue(ClaimTypes.NameIdentifier)!, batch, ct);
            var what = reject ? "rejected" : "relabelled";
            var message = $"{done.Decided} image(s) {what}" + (done.Repeated > 0 ? $", {done.Repeated} already saved by this form" : "") + ".";
            return await Back(datasetId, flash: message, error: done.Failures.Count > 0 ? $"{done.Failures.Count} not changed: " + string.Join("; ", done.Failures.Take(5)) : null);
        }
        catch (BrowseSelectionException ex)
        {
            return await Back(datasetId, error: ex.Message);
        }
    }

    private async Task<IActionResult> Back(int datasetId, string? flash = null, string? error = null)
    {
        if (!await LoadDatasetAsync(datasetId, HttpContext.RequestAborted))
        {
            return NotFound();
        }

        TempData["Flash"] = flash;
        TempData["BrowseError"] = error;
        return Redirect(Link());
    }

    private async Task<bool> LoadDatasetAsync(int datasetId, CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        (DatasetId, DatasetName) = (datasetId, name ?? "");
        return name is not null;
    }
}
