namespace LabelPlatform.Web.Hosting;

/// <summary>
/// Headers every answer carries. The policy allows scripts and styles from this site only: no inline script, no
/// eval, no plugins, no framing by other sites (clickjacking), forms posting back here only. Style attributes stay
/// allowed (progress bars and the confusion matrix set widths and shares inline) but style elements do not.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; style-src-elem 'self'; style-src-attr 'unsafe-inline'; " +
        "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; " +
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// Hangfire's dashboard (admins only) writes a style element of its own; it gets inline styles, still no inline
    /// script.
    /// </summary>
    public static readonly string DashboardContentSecurityPolicy =
        ContentSecurityPolicy.Replace("style-src-elem 'self'", "style-src-elem 'self' 'unsafe-inline'", StringComparison.Ordinal);

    public const string DashboardPath = "/hangfire";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        // Decided now: by the time the answer starts, a mapped branch (the dashboard) has moved its path into PathBase.
        var policy = http.Request.Path.StartsWithSegments(DashboardPath) ? DashboardContentSecurityPolicy : ContentSecurityPolicy;
        http.Response.OnStarting(() =>
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        return next(http);
    });
}
