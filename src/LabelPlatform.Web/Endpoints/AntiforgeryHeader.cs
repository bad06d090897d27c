using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Antiforgery;

namespace LabelPlatform.Web.Endpoints;

/// <summary>
/// The endpoint filter of the JSON endpoints the pages call with fetch: every POST must carry the antiforgery token in
/// the RequestVerificationToken header, as a form would carry it in a field. A missing token is a 400 problem.
/// </summary>
public static class AntiforgeryHeader
{
    public static async ValueTask<object?> RequireAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            await context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context.HttpContext);
        }
        catch (AntiforgeryValidationException)
        {
            throw new LabellingException("missing or invalid antiforgery token (send the RequestVerificationToken header)");
        }

        return await next(context);
    }
}
