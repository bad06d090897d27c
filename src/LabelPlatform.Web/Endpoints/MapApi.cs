using System.Security.Claims;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Maps;

namespace LabelPlatform.Web.Endpoints;

/// <summary>
/// The embedding map page's JSON: the points with their labels, and "label the selection" (one reviewer decision per
/// image). Reviewers and admins only, like the review pages; the POST carries the antiforgery header.
/// </summary>
public static class MapApi
{
    public sealed record LabelDto(string ClientId, int ClassId, IReadOnlyList<long> ImageIds);

    public static IEndpointRouteBuilder MapMapApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/map/{datasetId:int}").RequireAuthorization(Policies.Reviewer).ExcludeFromDescription();
        group.MapGet("", GetAsync);
        group.MapPost("/label", LabelAsync).AddEndpointFilter(AntiforgeryHeader.RequireAsync);
        return app;
    }

    private static async Task<IResult> GetAsync(int datasetId, int? model, MapView maps, CancellationToken ct)
    {
        var modelId = model ?? await maps.NewestModelAsync(datasetId, ct);
        // Reviewers see where images came from on the review pages too, so the import labels are theirs to colour by.
        return modelId is { } id && await maps.LoadAsync(datasetId, id, withImportLabels: true, ct) is { } data
            ? Results.Json(data, Json)
            : Results.Problem(statusCode: 404, title: "No map", detail: "this dataset has no map for that model yet");
    }

    private static async Task<IResult> LabelAsync(int datasetId, LabelDto body, HttpContext http, MapLabelling labelling, CancellationToken ct)
    {
        var user = http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("signed-in user without an id");
        var result = await labelling.LabelAsync(datasetId, user, body.ClientId ?? "", body.ClassId, body.ImageIds ?? [], ct);
        return Results.Ok(result);
    }

    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);
}
