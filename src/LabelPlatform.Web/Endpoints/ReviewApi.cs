using System.Security.Claims;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Review;

namespace LabelPlatform.Web.Endpoints;

/// <summary>
/// The JSON endpoints of the keyboard review page: an image's nearest neighbours with their labels, one decision
/// (a class or reject) and a bulk accept of several majorities. Signed-in reviewers and admins only (cookie), and
/// every POST must carry the antiforgery token in the RequestVerificationToken header. Decisions are
/// <see cref="ReviewDecisions.SetFinalAsync"/>, as the queue's form posts are: versioned, audited, idempotent per client id.
/// </summary>
public static class ReviewApi
{
    public sealed record DecideDto(long ImageId, int? ClassId, bool Reject, int? ExpectedVersion, string? ClientId);

    public sealed record BulkItemDto(long ImageId, int ClassId, int? ExpectedVersion, string? ClientId);

    public sealed record BulkDto(IReadOnlyList<BulkItemDto>? Items);

    public sealed record NeighbourDto(long ImageId, string Thumb, float Score, string? Label, string Source);

    public static IEndpointRouteBuilder MapReviewApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/review/{datasetId:int}").RequireAuthorization(Policies.Reviewer).ExcludeFromDescription();
        group.MapGet("/neighbours", NeighboursAsync);
        group.MapPost("/decide", DecideAsync).AddEndpointFilter(AntiforgeryHeader.RequireAsync);
        group.MapPost("/bulk", BulkAsync).AddEndpointFilter(AntiforgeryHeader.RequireAsync);
        return app;
    }

    private static string UserId(HttpContext http) => http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("signed-in user without an id");

    private static async Task<IResult> NeighboursAsync(int datasetId, long imageId, int? k, ReviewNeighbours neighbours, CancellationToken ct)
    {
        var found = await neighbours.FindAsync(datasetId, imageId, k ?? 8, ct);
        return Results.Ok(new
        {
            hasModel = found is not null,
            neighbours = (found ?? []).Select(n => new NeighbourDto(n.ImageId, $"/images/{n.ImageId}/thumb", n.Score, n.Label, n.Source)),
        });
    }

    private static async Task<IResult> DecideAsync(int datasetId, DecideDto body, HttpContext http, ReviewDecisions decisions, CancellationToken ct)
    {
        var result = await decisions.SetFinalAsync(new ReviewRequest(datasetId, body.ImageId, UserId(http), body.ClientId ?? "", body.Reject ? null : body.ClassId, body.Reject, body.ExpectedVersion), ct);
        return Results.Ok(new { imageId = body.ImageId, version = result.Version, duplicate = result.Duplicate, eventId = result.EventId });
    }

    private static async Task<IResult> BulkAsync(int datasetId, BulkDto body, HttpContext http, ReviewDesk desk, CancellationToken ct)
    {
        if (body.Items is null || body.Items.Any(i => i is null))
        {
            throw new LabellingException("items must be a list of images");
        }

        var results = await desk.AcceptAsync(datasetId, UserId(http), [.. body.Items.Select(i => new ReviewDesk.BulkItem(i.ImageId, i.ClassId, i.ExpectedVersion, i.ClientId ?? ""))], ct);
        return Results.Ok(new { results = results.Select(r => new { imageId = r.ImageId, version = r.Version, duplicate = r.Duplicate, error = r.Error }) });
    }
}
