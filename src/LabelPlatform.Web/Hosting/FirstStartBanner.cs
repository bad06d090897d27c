using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LabelPlatform.Web.Hosting;

/// <summary>
/// Once the server listens, says where to sign in and, on the first start, with which generated admin password, in a
/// box as the last thing on the console. Written through the log (category <see cref="Category"/>) so it comes after
/// every start-up line instead of racing the console logger's queue.
/// </summary>
public static class FirstStartBanner
{
    public const string Category = "LabelPlatform.SignIn";

    public static void PrintWhenStarted(WebApplication app)
    {
        // Registered before the host starts: token callbacks run last-registered first, so this runs after the
        // host's own "Application started" lines.
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var generated = app.Services.GetRequiredService<GeneratedAdminPassword>().Created;
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
#pragma warning disable CA1848, CA2254 // Once per process; the box is the message.
            logger.LogWarning(Format(addresses.Select(SignInUrl), generated));
#pragma warning restore CA1848, CA2254
        });
    }

    /// <summary>http://[::]:5080 → http://localhost:5080/Account/Login: a wildcard host is not something to type.</summary>
    public static string SignInUrl(string address)
    {
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "[::]" or "::" or "0.0.0.0")
        {
            uri.Host = "localhost";
        }

        uri.Path = "/Account/Login";
        return uri.Uri.AbsoluteUri;
    }

    public static string Format(IEnumerable<string> urls, (string Email, string Password)? generated)
    {
        List<string> lines = ["LabelPlatform is running.", ""];
        lines.AddRange(urls.Select(u => $"Sign in at  {u}"));
        if (generated is { } g)
        {
            lines.Add("");
            lines.Add($"Email       {g.Email}");
            lines.Add($"Password    {g.Password}");
            lines.Add("");
            lines.Add("Generated for this first start and not shown again: sign in now and keep it safe.");
            lines.Add("(A fresh install takes Identity:Admin:Password instead when it is set.)");
        }

        lines.Add("");
        lines.Add("Stop with Ctrl+C.");
        var width = lines.Max(l => l.Length);
        var border = new string('─', width + 2);
        return string.Join(Environment.NewLine, [$"┌{border}┐", .. lines.Select(l => $"│ {l.PadRight(width)} │"), $"└{border}┘"]);
    }
}
