using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace LabelPlatform.Tests.Infrastructure;

/// <summary>
/// The real web executable (LabelPlatform.Web.dll) as a child process on a loopback port, with the given settings as
/// environment variables (":" as "__"), and a signed-in cookie client that carries the antiforgery header as the
/// labelling pages' script does.
/// </summary>
public sealed partial class WebProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private WebProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<WebProcess> StartAsync(int port, IReadOnlyDictionary<string, string?> settings)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "LabelPlatform.Web.dll")])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        var web = new WebProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        web._process.OutputDataReceived += (_, e) => web.Add(e.Data);
        web._process.ErrorDataReceived += (_, e) => web.Add(e.Data);
        web._process.BeginOutputReadLine();
        web._process.BeginErrorReadLine();
        using var probe = new HttpClient { BaseAddress = web.Address, Timeout = TimeSpan.FromSeconds(5) };
        // A safety net for a loaded 2-core machine, not a speed target.
        var up = await Polling.WaitUntilAsync(async () =>
        {
            try
            {
                return web._process.HasExited ? throw new InvalidOperationException("exited:\n" + web.Output) : (await probe.GetAsync(new Uri("/Account/Login", UriKind.Relative))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(120));
        Assert.True(up, $"the web process on port {port} did not answer in 120 s:\n{web.Output}");
        return web;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output.TakeLast(60));
            }
        }
    }

    /// <summary>Signs in through the login form and keeps the antiforgery token of <paramref name="tokenPage"/> as a header.</summary>
    public async Task<HttpClient> SignInAsync(string email, string password, string tokenPage)
    {
        var handler = new SocketsHttpHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false };
        var client = new HttpClient(handler) { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        var login = await client.GetStringAsync(new Uri("/Account/Login", UriKind.Relative));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["__RequestVerificationToken"] = Token(login),
        });
        using var signedIn = await client.PostAsync(new Uri("/Account/Login", UriKind.Relative), form);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"sign-in at {Address} answered {(int)signedIn.StatusCode}");
        client.DefaultRequestHeaders.Add("RequestVerificationToken", Token(await client.GetStringAsync(new Uri(tokenPage, UriKind.Relative))));
        return client;
    }

    public static string Token(string html) => TokenField().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException("no antiforgery token in the page");

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
