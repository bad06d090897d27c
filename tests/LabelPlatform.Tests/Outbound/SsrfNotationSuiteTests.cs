using LabelPlatform.Core.Outbound;
using LabelPlatform.Testing;
using LabelPlatform.Tests.Crawling;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LabelPlatform.Tests.Outbound;

/// <summary>
/// The standing SSRF suite: every notation of a loopback, private, link-local or metadata address (and redirects to
/// them from an allowed site) tried through every entry that makes the platform send a request. A canary on
/// 127.0.0.1 and [::1] counts connections; it must see none, and every attempt must be refused with a reason.
/// </summary>
public class SsrfNotationSuiteTests(ITestOutputHelper output)
{
    /// <summary>The redirecting site's address, the only one opened in the guard.</summary>
    private const string Allowed = "127.0.0.3";

    /// <summary>{P}: the canary's port; {R}: the redirecting site's.</summary>
    private static readonly string[] Notations =
    [
        "http://127.0.0.1:{P}/",
        "http://2130706433:{P}/", // decimal
        "http://0177.0.0.1:{P}/", // octal
        "http://017700000001:{P}/",
        "http://0x7f.1:{P}/", // hex, short
        "http://0x7f000001:{P}/",
        "http://0x7f.0x0.0x0.0x1:{P}/",
        "http://127.1:{P}/", // short
        "http://127.000.000.001:{P}/",
        "http://127.0.0.2:{P}/",
        "http://[::1]:{P}/",
        "http://[0:0:0:0:0:0:0:1]:{P}/",
        "http://[::ffff:127.0.0.1]:{P}/", // IPv4-mapped
        "http://[::ffff:7f00:1]:{P}/",
        "http://[::ffff:0:127.0.0.1]:{P}/", // IPv4-translated
        "http://[::ffff:0:7f00:1]:{P}/",
        "http://[::127.0.0.1]:{P}/", // IPv4-compatible
        "http://[2002:7f00:1::]:{P}/", // 6to4
        "http://[64:ff9b::7f00:1]:{P}/", // NAT64
        "http://[64:ff9b::127.0.0.1]:{P}/",
        "http://[64:ff9b:1::7f00:1]:{P}/", // local-use NAT64
        "http://0.0.0.0:{P}/",
        "http://0:{P}/",
        "http://[::]:{P}/",
        "http://169.254.169.254/latest/meta-data/", // cloud metadata
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[2002:a9fe:a9fe::]/latest/meta-data/",
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/", // CGNAT metadata
        "http://100.64.0.1/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.0.1/",
        "http://[fc00::1]/",
        "http://[fd12:3456:789a::1]/",
        "http://[fe80::1]/",
        "http://[fe80::1%25lo]:{P}/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://localhost:{P}/",
        "http://LOCALHOST:{P}/",
        "http://localhost.:{P}/",
        "http://canary.localhost:{P}/",
        "http://example.com@127.0.0.1:{P}/", // userinfo
        "http://example.com:80@127.0.0.1:{P}/",
        "http://%31%32%37.0.0.1:{P}/", // percent-encoded host
        "http://127%2e0%2e0%2e1:{P}/",
        "http://\u2460\u2461\u2466.0.0.1:{P}/", // enclosed digits that IDNA maps to 127.0.0.1
        "http://127\u30020\u30020\u30021:{P}/", // ideographic full stops
        "http://internal.test:{P}/", // a name whose DNS answer is loopback
        "http://dual.test:{P}/", // a name answering only embedded forms
        "http://{A}:{R}/r?to=http://127.0.0.1:{P}/", // redirecting site
        "http://files.example.test:{R}/r?to=http://[::ffff:0:7f00:1]:{P}/",
        "http://files.example.test:{R}/r?to=http://2130706433:{P}/",
        "http://files.example.test:{R}/r?to=http://localhost:{P}/",
        "http://files.example.test:{R}/r?to=http://169.254.169.254/",
        "http://files.example.test:{R}/hop/3", // a chain ending at the canary
    ];

    private static readonly MapResolver Names = new(new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        ["internal.test"] = ["127.0.0.1"],
        ["dual.test"] = ["::ffff:0:7f00:1", "2002:7f00:1::", "64:ff9b:1::7f00:1"],
        ["files.example.test"] = [Allowed],
    });

    [Fact]
    public async Task Every_notation_through_every_entry_is_refused_and_the_canary_sees_nothing()
    {
        await using var canary = Canary.Start();
        await using var site = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/r", (string to) => Results.Redirect(to));
            app.MapGet("/hop/{n:int}", (int n) => Results.Redirect(n == 0 ? canary.Url() : $"/hop/{n - 1}"));
        }, Allowed);
        await using var platform = await CorePlatform.StartAsync(
            CrawlRunning.Settings(("Outbound:AllowedNetworks:0", $"{Allowed}/32")),
            services => services.AddSingleton<IHostResolver>(Names));
        var urls = Notations.Select(n => n.Replace("{P}", canary.Port.ToString(), StringComparison.Ordinal)
            .Replace("{R}", new Uri(site.BaseUrl).Port.ToString(), StringComparison.Ordinal)
            .Replace("{A}", Allowed, StringComparison.Ordinal)).ToList();

        var attempts = new List<SsrfAttempt>();
        foreach (var url in urls)
        {
            foreach (var entry in SsrfEntries.All)
            {
                attempts.Add(await SsrfEntries.TryAsync(platform, entry, url));
            }
        }

        var refused = attempts.Count(a => a.Refused && !a.Reason.Contains(Canary.Secret, StringComparison.Ordinal));
        foreach (var attempt in attempts.Where(a => !a.Refused))
        {
            output.WriteLine($"NOT REFUSED via {attempt.Entry}: {attempt.Url} -> {attempt.Reason}");
        }

        HostileReport.Write("ssrf", [$"notations: {urls.Count}", $"entries: {string.Join(", ", SsrfEntries.All)}", $"attempts: {attempts.Count}", $"refused: {refused}", $"canary hits: {canary.Hits}"]);
        Assert.True(urls.Count >= 40, $"{urls.Count} notations");
        Assert.Equal(urls.Count * SsrfEntries.All.Length, attempts.Count);
        Assert.Equal(0, canary.Hits);
        Assert.All(attempts, a => Assert.True(a.Refused, $"{a.Entry}: {a.Url}: {a.Reason}"));
        Assert.Equal(attempts.Count, refused);
        // The redirecting site was asked (so the redirects were followed up to the refused hop), the canary never.
        Assert.Contains(attempts, a => a.Url.Contains("/r?to=", StringComparison.Ordinal) && a.Reason.Contains("blocked before connecting", StringComparison.Ordinal));
    }
}
