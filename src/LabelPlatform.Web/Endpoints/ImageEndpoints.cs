using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Images;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace LabelPlatform.Web.Endpoints;

/// <summary>Serves stored images and thumbnails to signed-in users; files live outside wwwroot.</summary>
public static class ImageEndpoints
{
    public static IEndpointRouteBuilder MapImageEndpoints(this IEndpointRouteBuilder app)
    {
        var images = app.MapGroup("/images/{id:long}").RequireAuthorization(Policies.Member);
        images.MapGet("/file", (long id, PlatformDbContext db, ImageStore store, HttpContext http, CancellationToken ct) =>
            ServeAsync(id, db, http, async (sha, format) => (await store.OpenOriginalAsync(sha, format, ct), ImageStore.ContentType(format)), ct));
        images.MapGet("/thumb", (long id, PlatformDbContext db, ImageStore store, HttpContext http, CancellationToken ct) =>
            ServeAsync(id, db, http, async (sha, _) => (await store.OpenThumbnailAsync(sha, ct), "image/jpeg"), ct));
        return app;
    }

    private static async Task<IResult> ServeAsync(long id, PlatformDbContext db, HttpContext http, Func<string, string, Task<(BlobStream? Blob, string ContentType)>> open, CancellationToken ct)
    {
        var image = await db.Images.AsNoTracking().Where(i => i.Id == id).Select(i => new { i.Sha256, i.Format, i.CreatedAt }).FirstOrDefaultAsync(ct);
        if (image is null)
        {
            return Results.NotFound();
        }

        // An unchanged copy in the browser's cache needs no trip to the store (which may be a bucket elsewhere).
        var etag = new EntityTagHeaderValue($"\"{image.Sha256}\"");
        if (http.Request.GetTypedHeaders().IfNoneMatch is { Count: > 0 } match && match.Any(m => m.Compare(etag, useStrongComparison: false) || m.Equals(EntityTagHeaderValue.Any)))
        {
            SetCaching(http);
            http.Response.Headers.ETag = etag.ToString();
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        var (blob, contentType) = await open(image.Sha256, image.Format);
        if (blob is null)
        {
            return Results.Problem($"Image {id} is recorded but its file is missing from the store", statusCode: StatusCodes.Status500InternalServerError);
        }

        SetCaching(http);
        http.Response.Headers.XContentTypeOptions = "nosniff";
        // Streamed from the store; ranges are served when the stream can seek (files), whole otherwise (S3).
        http.Response.RegisterForDispose(blob);
        return Results.Stream(blob.Stream, contentType, lastModified: image.CreatedAt, entityTag: etag, enableRangeProcessing: blob.Stream.CanSeek);
    }

    // Content-addressed: the bytes behind this URL never change, so browsers may keep them for a year.
    // Private, because access needs a signed-in user.
    private static void SetCaching(HttpContext http) => http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
}
