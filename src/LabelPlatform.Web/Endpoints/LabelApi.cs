using System.Security.Claims;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Labelling.Queue;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Endpoints;

/// <summary>
/// The JSON endpoints the labelling pages call with fetch: the next images (leased), suggestions, grid expansion,
/// submit and undo. Signed-in labellers only (cookie), and every POST must carry the antiforgery token in the
/// RequestVerificationToken header, as a form would carry it in a field.
/// </summary>
public static class LabelApi
{
    public sealed record SuggestionDto(int ClassId, string Name, double Confidence);

    /// <summary>One image to label; alt text, page title and page URL are the crawler's provenance, shown as hints.</summary>
    public sealed record ImageDto(long Id, string Url, string Thumb, string Origin, int Width, int Height, IReadOnlyList<SuggestionDto> Suggestions,
        string? Alt = null, string? PageTitle = null, string? PageUrl = null);

    public sealed record ItemDto(long ImageId, string Action, int? ClassId, IReadOnlyList<SuggestionDto>? Suggestions);

    public sealed record SubmitDto(string ClientId, string? Source, IReadOnlyList<ItemDto> Items);

    /// <summary><see cref="SubmissionId"/>: the submission the page means to undo; if another tab labelled since, nothing is undone.</summary>
    public sealed record UndoDto(string ClientId, long? SubmissionId = null);

    public sealed record ResultDto(long SubmissionId, bool Duplicate, IReadOnlyList<long> EventIds, IReadOnlyList<long> ImageIds);

    private static readonly string[] Sources = ["single", "grid", "bench"];

    public static IEndpointRouteBuilder MapLabelApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/label/{datasetId:int}").RequireAuthorization(Policies.Labeller).ExcludeFromDescription();
        group.MapGet("/next", NextAsync);
        group.MapGet("/expand", ExpandAsync);
        group.MapPost("/submit", SubmitAsync).AddEndpointFilter(AntiforgeryHeader.RequireAsync);
        group.MapPost("/undo", UndoAsync).AddEndpointFilter(AntiforgeryHeader.RequireAsync);
        return app;
    }

    private static string UserId(HttpContext http) => http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("signed-in user without an id");

    private static async Task<IResult> NextAsync(int datasetId, int? count, string? exclude, HttpContext http, LabelQueue queue, LabellingSettingsService labellingSettings, LabelSuggestions suggestions, PlatformDbContext db, CancellationToken ct)
    {
        var skip = (exclude ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => long.TryParse(s, out var v) ? v : 0).Where(v => v > 0).Take(500).ToList();
        var ids = await queue.NextAsync(datasetId, UserId(http), count ?? 1, skip, ct);
        return Results.Ok(new { images = await DescribeAsync(datasetId, ids, db, suggestions, labellingSettings, ct) });
    }

    private static async Task<IResult> ExpandAsync(int datasetId, long seed, int? count, HttpContext http, LabellingSettingsService labellingSettings, NeighbourExpansion expansion, LabelSuggestions suggestions, PlatformDbContext db, CancellationToken ct)
    {
        var ids = await expansion.ExpandAsync(datasetId, seed, UserId(http), Math.Clamp(count ?? 30, 1, 200), ct);
        return Results.Ok(new { images = await DescribeAsync(datasetId, ids, db, suggestions, labellingSettings, ct) });
    }

    private static async Task<List<ImageDto>> DescribeAsync(int datasetId, IReadOnlyList<long> ids, PlatformDbContext db, LabelSuggestions suggestions, LabellingSettingsService labellingSettings, CancellationToken ct)
    {
        var images = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId && ids.Contains(i.Id))
            .Select(i => new { i.Id, i.Origin, i.Width, i.Height }).ToDictionaryAsync(i => i.Id, ct);
        var provenance = await db.ImageProvenance.AsNoTracking().Where(p => ids.Contains(p.ImageId))
            .Select(p => new { p.ImageId, p.AltText, p.PageTitle, p.PageUrl }).ToDictionaryAsync(p => p.ImageId, ct);
        var showImportLabels = (await labellingSettings.GetSettingsAsync(datasetId, ct)).ShowImportLabels;
        var hints = (await suggestions.SuggestAsync(datasetId, ids, withImport: showImportLabels, ct)).ToDictionary(s => s.ImageId);
        var classNames = showImportLabels ? [] : await db.ImageClasses.Where(c => c.DatasetId == datasetId).Select(c => c.Name).ToListAsync(ct);
        return [.. ids.Where(images.ContainsKey).Select(id =>
        {
            var source = provenance.GetValueOrDefault(id);
            return new ImageDto(id, $"/images/{id}/file", $"/images/{id}/thumb", LabellerView.Origin(id, images[id].Origin, classNames, showImportLabels), images[id].Width, images[id].Height,
                [.. hints[id].Items.Select(s => new SuggestionDto(s.ClassId, s.ClassName, s.Confidence))],
                string.IsNullOrWhiteSpace(source?.AltText) ? null : source.AltText, string.IsNullOrWhiteSpace(source?.PageTitle) ? null : source.PageTitle, source?.PageUrl);
        })];
    }

    private static async Task<IResult> SubmitAsync(int datasetId, SubmitDto body, HttpContext http, LabelSubmissions submissions, CancellationToken ct)
    {
        var items = new List<LabelItem>();
        foreach (var item in body.Items ?? [])
        {
            if (item is null || item.Suggestions?.Any(s => s is null) == true)
            {
                throw new LabellingException("an item or suggestion is null");
            }

            if (!Enum.TryParse<LabelEventKind>(item.Action, ignoreCase: true, out var kind) || kind is LabelEventKind.Undo or LabelEventKind.Review)
            {
                throw new LabellingException($"unknown action '{item.Action}' (label, noise, reject, skip)");
            }

            var shown = item.Suggestions is { Count: > 0 } s ? new ShownSuggestions([.. s.Take(3).Select(x => new Suggestion(x.ClassId, x.Name ?? "", Math.Clamp(x.Confidence, 0, 1), 0))]) : null;
            items.Add(new LabelItem(item.ImageId, kind, item.ClassId, shown));
        }

        var source = body.Source is { } src && Sources.Contains(src) ? src : "single";
        return Results.Ok(ToDto(await submissions.SubmitAsync(new SubmitRequest(datasetId, UserId(http), body.ClientId ?? "", source, items), ct)));
    }

    private static async Task<IResult> UndoAsync(int datasetId, UndoDto body, HttpContext http, LabelSubmissions submissions, CancellationToken ct) =>
        Results.Ok(ToDto(await submissions.UndoAsync(datasetId, UserId(http), body.ClientId ?? "", body.SubmissionId, ct)));

    private static ResultDto ToDto(SubmitResult r) => new(r.SubmissionId, r.Duplicate, r.EventIds, r.ImageIds);
}
