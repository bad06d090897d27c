using LabelPlatform.Core.Datasets.Import;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Hosting;

/// <summary>
/// Body limits for the archive upload page, from Import:MaxUploadBytes. It runs before the antiforgery check (which
/// reads the whole form): an upload that declares more than the cap gets a readable 413 at once, and the server-side
/// limits stop one that lies about its length.
/// </summary>
internal sealed class UploadLimitsFilter(IOptions<ImportOptions> options) : IAuthorizationFilter
{
    /// <summary>Before the antiforgery filter (order 1000).</summary>
    public const int RunFirst = -1000;

    // Room for the form's other fields and the multipart framing.
    private const long FormOverhead = 1024 * 1024;

    public void OnAuthorization(AuthorizationFilterContext context)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            return;
        }

        var cap = options.Value.MaxUploadBytes;
        if (request.ContentLength is { } length && length > cap + FormOverhead)
        {
            context.Result = new ContentResult
            {
                StatusCode = StatusCodes.Status413PayloadTooLarge,
                ContentType = "text/plain; charset=utf-8",
                Content = $"The upload is {length / (1024.0 * 1024):0.#} MB; the cap is {cap / (1024.0 * 1024):0.#} MB (Import:MaxUploadBytes). Nothing was stored.",
            };
            return;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = cap + FormOverhead;
        }

        if (request.HasFormContentType && http.Features.Get<IFormFeature>()?.Form is null)
        {
            http.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions { MultipartBodyLengthLimit = cap + FormOverhead }));
        }
    }
}
