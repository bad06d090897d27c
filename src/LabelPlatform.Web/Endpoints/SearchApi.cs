using System.ComponentModel;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Search;
using LabelPlatform.Web.Hosting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Endpoints;

/// <summary>
/// `POST /api/search`: query by image (an upload or a stored image id) over a dataset's embeddings. Errors are thrown
/// as <see cref="SearchException"/>s; <see cref="ApiProblems"/> turns them into problem documents.
/// </summary>
public static class SearchApi
{
    public const string Policy = "ApiAccess";

    /// <summary>The form the endpoint reads (multipart/form-data, or urlencoded when no file is sent).</summary>
    public sealed class SearchForm
    {
        [Description("Dataset name")]
        public required string Dataset { get; init; }

        [Description("Model name (latest version); default: the platform's default model")]
        public string? Model { get; init; }

        [Description("Number of results, 1..100 (default 10)")]
        public int? K { get; init; }

        [Description("Only results whose class (import label) has this name")]
        public string? Class { get; init; }

        [Description("A stored image of the dataset to search with (instead of uploading one)")]
        public long? ImageId { get; init; }

        [Description("With imageId: let the image appear in its own results")]
        public bool? IncludeSelf { get; init; }

        [Description("true: the HNSW index instead of the exact scan (when the server keeps one, Search:Ann)")]
        public bool? Approximate { get; init; }

        [Description("The query image (JPEG, PNG, GIF, BMP or WebP)")]
        public IFormFile? Image { get; init; }
    }

    public sealed record ResultItem(long ImageId, float Score, string? Class, string Origin, string Url, string ThumbnailUrl);

    public sealed record Response(string Dataset, string Model, int ModelVersion, string? ExecutionPath, int K, int IndexSize, double Milliseconds, long? QueryImageId, bool Approximate, IReadOnlyList<ResultItem> Results);

    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/search", SearchAsync)
            .RequireAuthorization(Policy)
            .DisableAntiforgery() // checked by hand: required for cookie sign-ins, not for bearer tokens
            .Accepts<SearchForm>("multipart/form-data", "application/x-www-form-urlencoded")
            .Produces<Response>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .WithName("Search")
            .WithSummary("Query by image")
            .WithDescription("Ranks the dataset's images by cosine similarity of their embeddings to the query image's. Send an image file or the id of a stored image. Authenticate with the sign-in cookie (plus the antiforgery header) or Authorization: Bearer <API token>.");
        return app;
    }

    private static async Task<IResult> SearchAsync(HttpContext http, PlatformDbContext db, ModelRegistry models, SearchService search, IAntiforgery antiforgery, CancellationToken ct)
    {
        if (http.User.Identity?.AuthenticationType == IdentityConstants.ApplicationScheme)
        {
            // A browser session could be ridden by another site's form: cookie callers must show the antiforgery token.
            try
            {
                await antiforgery.ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                throw new SearchException("missing or invalid antiforgery token (cookie sign-ins send the RequestVerificationToken header; scripts use an API token)");
            }
        }

        if (!http.Request.HasFormContentType)
        {
            throw new SearchException("send multipart/form-data (with an image file) or application/x-www-form-urlencoded (with imageId)", StatusCodes.Status415UnsupportedMediaType);
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (IOException ex) when (ex is not BadHttpRequestException && !ct.IsCancellationRequested)
        {
            // A multipart body that ends before its closing boundary: the client's fault, not a server fault.
            throw new BadHttpRequestException($"the form could not be read: {ex.Message}", StatusCodes.Status400BadRequest, ex);
        }
        var datasetName = form["dataset"].ToString();
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Name == datasetName, ct);
        if (dataset is null)
        {
            throw new SearchException($"dataset '{datasetName}' does not exist", StatusCodes.Status404NotFound);
        }

        EmbeddingModel? model;
        try
        {
            model = await models.ResolveAsync(form["model"], ct);
        }
        catch (EmbeddingException ex)
        {
            // Here a model that cannot be resolved is one that is not there.
            throw new SearchException(ex.Message, StatusCodes.Status404NotFound);
        }

        if (model is null)
        {
            throw new SearchException($"model '{form["model"]}' is not registered", StatusCodes.Status404NotFound);
        }

        if (!TryInt(form["k"], 10, out var k))
        {
            throw new SearchException("k must be a whole number");
        }

        int? classId = null;
        if (!string.IsNullOrEmpty(form["class"]))
        {
            var className = form["class"].ToString();
            classId = await db.ImageClasses.Where(c => c.DatasetId == dataset.Id && c.Name == className).Select(c => (int?)c.Id).FirstOrDefaultAsync(ct);
            if (classId is null)
            {
                throw new SearchException($"class '{className}' is not in dataset {dataset.Name}", StatusCodes.Status404NotFound);
            }
        }

        long? imageId = null;
        if (!string.IsNullOrEmpty(form["imageId"]))
        {
            if (!long.TryParse(form["imageId"], out var parsed))
            {
                throw new SearchException("imageId must be a number");
            }

            imageId = parsed;
        }

        byte[]? bytes = null;
        if (form.Files.GetFile("image") is { } file)
        {
            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, ct);
            bytes = buffer.ToArray();
        }

        var response = await search.SearchAsync(new SearchQuery
        {
            DatasetId = dataset.Id,
            Model = model,
            K = k,
            ClassId = classId,
            ImageId = imageId,
            ImageBytes = bytes,
            IncludeSelf = bool.TryParse(form["includeSelf"], out var include) && include,
            Approximate = bool.TryParse(form["approximate"], out var approximate) && approximate,
        }, ct);
        return Results.Ok(new Response(response.Dataset, response.Model, response.ModelVersion, response.ExecutionPath, response.K, response.IndexSize, Math.Round(response.Milliseconds, 2), response.QueryImageId, response.Approximate,
            [.. response.Results.Select(r => new ResultItem(r.ImageId, r.Score, r.ClassName, r.Origin, $"/images/{r.ImageId}/file", $"/images/{r.ImageId}/thumb"))]));
    }

    private static bool TryInt(string? text, int fallback, out int value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text) || int.TryParse(text, out value);
    }
}
