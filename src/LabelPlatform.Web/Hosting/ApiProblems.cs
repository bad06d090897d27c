using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Search;
using Microsoft.AspNetCore.Diagnostics;

namespace LabelPlatform.Web.Hosting;

/// <summary>
/// Every non-success answer under /api is an RFC 9457 problem document (application/problem+json), whatever went
/// wrong: a domain error, a body over a limit, a malformed form, a failed sign-in, an unknown route. Domain
/// exceptions map to statuses here and nowhere else; endpoints just throw.
/// </summary>
public static class ApiProblems
{
    public static bool IsApi(HttpContext http) => http.Request.Path.StartsWithSegments("/api");

    /// <summary>The status and the message a caller may see for an exception, or null for a fault of ours (500).</summary>
    public static (int Status, string Detail)? Describe(Exception exception) => exception switch
    {
        SearchException e => (e.Status, e.Message),
        LabellingException e => (e.Status, e.Message),
        LabelConflictException e => (StatusCodes.Status409Conflict, e.Message),
        EvaluationException e => (StatusCodes.Status400BadRequest, e.Message),
        EmbeddingException e => (StatusCodes.Status400BadRequest, e.Message),
        // Kestrel's body limit (413), a body cut short, a bad header, a JSON body that does not bind (400).
        BadHttpRequestException e => (e.StatusCode, e.Message),
        // Malformed multipart, a missing boundary, too many form fields or a field over its length limit.
        InvalidDataException e => (StatusCodes.Status400BadRequest, $"the form could not be read: {e.Message}"),
        System.Text.Json.JsonException => (StatusCodes.Status400BadRequest, "the JSON body is malformed"),
        _ => null,
    };

    /// <summary>Writes a problem document whatever the client's Accept header says (an API answer is JSON).</summary>
    public static Task WriteAsync(HttpContext http, int status, string? detail = null)
    {
        http.Response.StatusCode = status;
        return Results.Problem(detail: detail, statusCode: status).ExecuteAsync(http);
    }

    /// <summary>/api requests: exceptions and bare status codes become problem documents; pages keep the HTML error page.</summary>
    public static IApplicationBuilder UseApiProblems(this IApplicationBuilder app) =>
        app.UseWhen(IsApi, api =>
        {
            api.UseExceptionHandler(new ExceptionHandlerOptions
            {
                // The mapped status, not 500, for exceptions that describe the request.
                StatusCodeSelector = exception => Describe(exception)?.Status ?? StatusCodes.Status500InternalServerError,
                ExceptionHandler = http =>
                {
                    var exception = http.Features.Get<IExceptionHandlerFeature>()?.Error;
                    var described = exception is null ? null : Describe(exception);
                    return WriteAsync(http, described?.Status ?? StatusCodes.Status500InternalServerError,
                        described?.Detail ?? "an unexpected error; it was logged");
                },
            });
            api.UseStatusCodePages(context => WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode));
        });
}
