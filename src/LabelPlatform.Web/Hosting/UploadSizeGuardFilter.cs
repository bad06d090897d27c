using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Hosting;

/// <summary>
/// Body limits for a page that takes large uploads, from its configured cap. It runs before the antiforgery check
/// (which reads the whole form): an upload that declares more than the cap gets a readable 413 at once, and the
/// server-side limits stop one that lies about its length.
/// </summary>
internal abstract class UploadLimitsFilter : IAuthorizationFilter
{
    /// <summary>Before the antiforgery filter (order 1000).</summary>
    public const int RunFirst = -1000;

    // Room for the form's other fields and the multipart framing.
    private const long FormOverhead = 1024 * 1024;

    /// <summary>Largest file the page accepts, in bytes.</summary>
    protected abstract long Cap { get; }

    /// <summary>The setting that sets <see cref="Cap"/>, named in the 413 message.</summary>
    protected abstract string Setting { get; }

    public void OnAuthorization(AuthorizationFilterContext context)
    {
        var http = context.HttpContext;
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            return;
        }

        var cap = Cap;
        if (request.ContentLength is { } length && length > cap + FormOverhead)
        {
            context.Result = new ContentResult
            {
                StatusCode = StatusCodes.Status413PayloadTooLarge,
                ContentType = "text/plain; charset=utf-8",
                Content = $"The upload is {length / (1024.0 * 1024):0.#} MB; the cap is {cap / (1024.0 * 1024):0.#} MB ({Setting}). Nothing was stored.",
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

/// <summary>Dataset archives on the import page: Import:MaxUploadBytes.</summary>
internal sealed class ArchiveUploadLimitsFilter(IOptions<ImportOptions> options) : UploadLimitsFilter
{
    protected override long Cap => options.Value.MaxUploadBytes;
    protected override string Setting => "Import:MaxUploadBytes";
}

/// <summary>ONNX files on the models page: Embeddings:MaxModelBytes (ResNet18 alone is over Kestrel's 30 MB default).</summary>
internal sealed class ModelUploadLimitsFilter(IOptions<EmbeddingOptions> options) : UploadLimitsFilter
{
    protected override long Cap => options.Value.MaxModelBytes;
    protected override string Setting => "Embeddings:MaxModelBytes";
}

/// <summary>Query images on the search page: Images:MaxFileBytes, the cap every image is checked against.</summary>
internal sealed class QueryImageUploadLimitsFilter(IOptions<LabelPlatform.Core.Images.ImageValidationOptions> options) : UploadLimitsFilter
{
    protected override long Cap => options.Value.MaxFileBytes;
    protected override string Setting => "Images:MaxFileBytes";
}
