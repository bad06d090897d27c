using LabelPlatform.Core.Outbound;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Outbound;

/// <summary>
/// Archive import and model registration by URL, pointed at a loopback canary directly and through redirects from an
/// allowed server: the canary sees no connection and no error shows its answer. On main both went through a default
/// HttpClient (automatic redirects, no address check) and reached it.
/// </summary>
public class DownloadCanaryTests
{
    /// <summary>The allowed server's address; the canary (127.0.0.1, ::1) is not opened.</summary>
    private const string Allowed = "127.0.0.3";

    private static readonly MapResolver Names = new(new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        // A public-looking name for the allowed server, as an attacker's site would have.
        ["files.example.test"] = [Allowed],
    });

    private static Task<LoopbackServer> RedirectingServerAsync(Canary canary) => LoopbackServer.StartAsync(app =>
    {
        app.MapGet("/archive.zip", () => Results.Redirect(canary.Url()));
        app.MapGet("/hop/{n:int}", (int n) => Results.Redirect(n == 0 ? canary.Url() : $"/hop/{n - 1}"));
    }, Allowed);

    private static Task<CorePlatform> PlatformAsync() => CorePlatform.StartAsync(
        new() { ["Outbound:AllowedNetworks:0"] = $"{Allowed}/32" },
        services => services.AddSingleton<IHostResolver>(Names));

    private static void AssertRefused(SsrfAttempt attempt, Canary canary, string expected)
    {
        Assert.True(attempt.Refused, attempt.Reason);
        Assert.Contains(expected, attempt.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary.Secret, attempt.Reason, StringComparison.Ordinal);
        Assert.Equal(0, canary.Hits);
    }

    [Fact]
    public async Task Archive_url_import_pointed_at_the_canary_never_reaches_it()
    {
        await using var canary = Canary.Start();
        await using var platform = await PlatformAsync();

        var attempt = await SsrfEntries.ImportAsync(platform, canary.Url());

        AssertRefused(attempt, canary, "download refused: blocked before connecting: address 127.0.0.1 is loopback");
    }

    [Fact]
    public async Task Model_url_registration_pointed_at_the_canary_never_reaches_it()
    {
        await using var canary = Canary.Start();
        await using var platform = await PlatformAsync();

        var attempt = await SsrfEntries.RegisterModelAsync(platform, canary.Url("[::1]"));

        AssertRefused(attempt, canary, "blocked before connecting: address ::1 is loopback");
    }

    [Theory]
    [InlineData("/archive.zip")]
    [InlineData("/hop/3")]
    public async Task Archive_import_redirected_from_an_allowed_server_to_the_canary_never_reaches_it(string path)
    {
        await using var canary = Canary.Start();
        await using var server = await RedirectingServerAsync(canary);
        await using var platform = await PlatformAsync();

        var attempt = await SsrfEntries.ImportAsync(platform, $"http://files.example.test:{new Uri(server.BaseUrl).Port}{path}");

        AssertRefused(attempt, canary, "blocked before connecting: address 127.0.0.1 is loopback");
    }

    [Fact]
    public async Task Model_registration_redirected_from_an_allowed_server_to_the_canary_never_reaches_it()
    {
        await using var canary = Canary.Start();
        await using var server = await RedirectingServerAsync(canary);
        await using var platform = await PlatformAsync();

        var attempt = await SsrfEntries.RegisterModelAsync(platform, $"{server.BaseUrl}/hop/2");

        AssertRefused(attempt, canary, "blocked before connecting: address 127.0.0.1 is loopback");
    }

    [Fact]
    public async Task A_redirect_chain_longer_than_the_limit_is_refused_before_its_end()
    {
        await using var canary = Canary.Start();
        await using var server = await RedirectingServerAsync(canary);
        using var fetcher = OutboundTesting.Fetcher(Names, $"{Allowed}/32", "127.0.0.1/32");
        var downloader = new FileDownloader(fetcher, Microsoft.Extensions.Options.Options.Create(new OutboundOptions { AllowedNetworks = [$"{Allowed}/32", "127.0.0.1/32"], MaxRedirects = 3 }));
        using var temp = new TempFolder();

        // Hop 4 would be the canary (opened here): the fourth redirect is one too many.
        var error = await Assert.ThrowsAsync<DownloadException>(() =>
            downloader.DownloadAsync($"{server.BaseUrl}/hop/3", null, temp.Combine("x"), 1000, TimeSpan.FromSeconds(10), null, CancellationToken.None));

        Assert.Equal("download refused: more than 3 redirects", error.Message);
        Assert.Equal(0, canary.Hits);
    }

    /// <summary>The control: with the canary's address opened, the same download reaches it, so a count of 0 means something.</summary>
    [Fact]
    public async Task With_the_canary_opened_explicitly_the_redirected_download_reaches_it()
    {
        await using var canary = Canary.Start();
        await using var server = await RedirectingServerAsync(canary);
        using var fetcher = OutboundTesting.Fetcher(Names, $"{Allowed}/32", "127.0.0.1/32");
        using var temp = new TempFolder();

        await OutboundTesting.Downloader(fetcher).DownloadAsync($"{server.BaseUrl}/hop/1", null, temp.Combine("x"), 1000, TimeSpan.FromSeconds(10), null, CancellationToken.None);

        Assert.Equal(1, canary.Hits);
        Assert.Equal(Canary.Secret, await File.ReadAllTextAsync(temp.Combine("x")));
    }
}
