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
            ServeAsync(id, db, http, (sha, format) => (store.OriginalPath(sha, format), ImageStore.ContentType(format)), ct));
        images.MapGet("/thumb", (long id, PlatformDbContext db, ImageStore store, HttpContext http, CancellationToken ct) =>
            ServeAsync(id, db, http, (sha, _) => (store.ThumbnailPath(sha), "image/jpeg"), ct));
        return app;
    }

    private static async Task<IResult> ServeAsync(long id, PlatformDbContext db, HttpContext http, Func<string, string, (string Path, string ContentType)> locate, CancellationToken ct)
    {
        var image = await db.Images.AsNoTracking().Where(i => i.Id == id).Select(i => new { i.Sha256, i.Format, i.CreatedAt }).FirstOrDefaultAsync(ct);
        if (image is null)
        {
            return Results.NotFound();
        }

        var (path, contentType) = locate(image.Sha256, image.Format);
        if (!File.Exists(path))
        {
            return Results.Problem($"Image {id} is recorded but its file is missing from the store", statusCode: StatusCodes.Status500InternalServerError);
        }

        // Content-addressed: the bytes behind this URL never change, so browsers may keep them for a year.
        // Private, because access needs a signed-in user.
        http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.File(path, contentType, enableRangeProcessing: true, lastModified: image.CreatedAt, entityTag: new EntityTagHeaderValue($"\"{image.Sha256}\""));
    }
}
