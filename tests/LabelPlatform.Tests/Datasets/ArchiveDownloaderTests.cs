using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Outbound;
using LabelPlatform.Tests.Images;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Tests.Outbound;

namespace LabelPlatform.Tests.Datasets;

/// <summary>A Kestrel server on 127.0.0.1 (a free port) that serves well-behaved and misbehaving downloads.</summary>
public sealed class LoopbackArchiveServer : IAsyncLifetime
{
    public const int PayloadBytes = 10_000;
    public const int OverCapBytes = 2_000;

    private WebApplication? _app;

    /// <summary>Deterministic bytes, so their SHA-256 is known to the tests.</summary>
    public byte[] Payload { get; } = Enumerable.Range(0, PayloadBytes).Select(i => (byte)(i * 31 % 251)).ToArray();

    public string BaseUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Urls.Add("http://127.0.0.1:0");
        var stopping = _app.Lifetime.ApplicationStopping;

        _app.MapGet("/archive.zip", () => Results.Bytes(Payload, "application/zip"));
        _app.MapGet("/declared-over-cap", async context =>
        {
            context.Response.ContentLength = OverCapBytes;
            await context.Response.Body.WriteAsync(new byte[OverCapBytes], context.RequestAborted);
        });
        _app.MapGet("/chunked-over-cap", async context =>
        {
            // No Content-Length: Kestrel sends it chunked, so only counting the received bytes can stop it.
            for (var i = 0; i < 20; i++)
            {
                await context.Response.Body.WriteAsync(new byte[OverCapBytes / 10], context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        });
        _app.MapGet("/never-ends", async context =>
        {
            await context.Response.Body.WriteAsync(new byte[100], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await WaitForeverAsync(context, stopping);
        });
        _app.MapGet("/no-headers", context => WaitForeverAsync(context, stopping));
        _app.MapGet("/breaks-off", async context =>
        {
            context.Response.ContentLength = 1_000;
            await context.Response.Body.WriteAsync(new byte[10], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            context.Abort();
        });

        await _app.StartAsync();
        BaseUrl = _app.Urls.Single().TrimEnd('/');
        Assert.StartsWith("http://127.0.0.1:", BaseUrl);
    }

    private static async Task WaitForeverAsync(HttpContext context, CancellationToken stopping)
    {
        // Ends when the client gives up (its deadline) or the server stops, never on its own.
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

public sealed class ArchiveDownloaderTests(LoopbackArchiveServer server) : IClassFixture<LoopbackArchiveServer>, IDisposable
{
    private readonly TempFolder _temp = new();
    // The test server runs on 127.0.0.1: only that address is opened in the SSRF guard.
    private readonly OutboundFetcher _fetcher = OutboundTesting.Fetcher(null, "127.0.0.1/32");

    public void Dispose()
    {
        _fetcher.Dispose();
        _temp.Dispose();
    }

    private string Destination => _temp.Combine("downloads", "archive.bin");

    private ArchiveDownloader Downloader(long maxBytes = 1024 * 1024, double timeoutSeconds = 30) =>
        new(OutboundTesting.Downloader(_fetcher, "127.0.0.1/32"),
            Microsoft.Extensions.Options.Options.Create(new ImportOptions { MaxDownloadBytes = maxBytes, DownloadTimeout = TimeSpan.FromSeconds(timeoutSeconds) }));

    private string PayloadSha => Convert.ToHexStringLower(SHA256.HashData(server.Payload));

    /// <summary>The download folder holds no finished file and no ".part" leftover.</summary>
    private void AssertNothingKept()
    {
        var folder = Path.GetDirectoryName(Destination)!;
        Assert.True(!Directory.Exists(folder) || Directory.GetFiles(folder).Length == 0, "a file was left in the download folder");
    }

    [Fact]
    public async Task Downloads_and_returns_the_hash_when_the_pin_matches()
    {
        var progress = new List<long>();

        var sha = await Downloader().DownloadAsync($"{server.BaseUrl}/archive.zip", PayloadSha, Destination, new SyncProgress(progress), CancellationToken.None);

        Assert.Equal(PayloadSha, sha);
        Assert.Equal(server.Payload, await File.ReadAllBytesAsync(Destination));
        Assert.False(File.Exists(Destination + ".part"));
        Assert.Equal(LoopbackArchiveServer.PayloadBytes, progress[^1]);
    }

    [Fact]
    public async Task Accepts_a_pin_in_upper_case_with_surrounding_spaces()
    {
        var sha = await Downloader().DownloadAsync($"{server.BaseUrl}/archive.zip", $"  {PayloadSha.ToUpperInvariant()} \n", Destination, null, CancellationToken.None);

        Assert.Equal(PayloadSha, sha);
        Assert.True(File.Exists(Destination));
    }

    [Fact]
    public async Task Downloads_without_a_pin()
    {
        var sha = await Downloader().DownloadAsync($"{server.BaseUrl}/archive.zip", null, Destination, null, CancellationToken.None);

        Assert.Equal(PayloadSha, sha);
        Assert.Equal(server.Payload, await File.ReadAllBytesAsync(Destination));
    }

    [Fact]
    public async Task Refuses_a_download_whose_hash_differs_from_the_pin()
    {
        var pin = new string('0', 64);

        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader().DownloadAsync($"{server.BaseUrl}/archive.zip", pin, Destination, null, CancellationToken.None));

        Assert.Contains($"SHA-256 is {PayloadSha}, the pin says {pin}", error.Message);
        AssertNothingKept();
    }

    [Fact]
    public async Task Reports_the_status_of_a_404()
    {
        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader().DownloadAsync($"{server.BaseUrl}/missing.zip", null, Destination, null, CancellationToken.None));

        Assert.Contains("404", error.Message);
        AssertNothingKept();
    }

    [Fact]
    public async Task Refuses_a_Content_Length_over_the_cap_before_reading_the_body()
    {
        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader(maxBytes: 1_000).DownloadAsync($"{server.BaseUrl}/declared-over-cap", null, Destination, null, CancellationToken.None));

        Assert.Contains("announces 2,000 bytes, over the 1,000 byte cap", error.Message);
        AssertNothingKept();
    }

    [Fact]
    public async Task Stops_a_chunked_body_once_it_passes_the_cap()
    {
        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader(maxBytes: 1_000).DownloadAsync($"{server.BaseUrl}/chunked-over-cap", null, Destination, null, CancellationToken.None));

        Assert.Contains("more than the 1,000 byte cap was sent", error.Message);
        AssertNothingKept();
    }

    [Fact]
    public async Task Cuts_off_a_body_that_never_ends_at_the_deadline()
    {
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader(timeoutSeconds: 2).DownloadAsync($"{server.BaseUrl}/never-ends", null, Destination, null, CancellationToken.None));

        Assert.Contains("not finished within 2 s", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        AssertNothingKept();
    }

    [Fact]
    public async Task Cuts_off_a_server_that_never_sends_headers_at_the_deadline()
    {
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader(timeoutSeconds: 1).DownloadAsync($"{server.BaseUrl}/no-headers", null, Destination, null, CancellationToken.None));

        Assert.Contains("not finished within 1 s", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Caller_cancellation_is_not_reported_as_a_timeout()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Downloader(timeoutSeconds: 30).DownloadAsync($"{server.BaseUrl}/never-ends", null, Destination, null, cancel.Token));

        Assert.True(cancel.IsCancellationRequested, error.Message);
        AssertNothingKept();
    }

    [Fact]
    public async Task Reports_a_connection_that_breaks_off_mid_body_as_a_failed_download()
    {
        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader().DownloadAsync($"{server.BaseUrl}/breaks-off", null, Destination, null, CancellationToken.None));

        Assert.StartsWith("download failed", error.Message);
        AssertNothingKept();
    }

    [Fact]
    public async Task Reports_a_refused_connection_as_a_failed_download()
    {
        // A loopback port that was free a moment ago and has no listener now.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader().DownloadAsync($"http://127.0.0.1:{port}/archive.zip", null, Destination, null, CancellationToken.None));

        Assert.StartsWith("download failed", error.Message);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/archive.zip")]
    [InlineData("file:///etc/passwd")]
    [InlineData("127.0.0.1/archive.zip")]
    [InlineData("/srv/archive.zip")]
    [InlineData("")]
    public async Task Refuses_anything_but_an_absolute_http_or_https_URL(string url)
    {
        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader().DownloadAsync(url, null, Destination, null, CancellationToken.None));

        Assert.Contains("http:// or https://", error.Message);
        AssertNothingKept();
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde")] // 63 digits
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0")] // 65 digits
    [InlineData("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")] // 64, one not hex
    public async Task Refuses_an_invalid_pin_before_downloading(string pin)
    {
        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            Downloader().DownloadAsync($"{server.BaseUrl}/archive.zip", pin, Destination, null, CancellationToken.None));

        Assert.Contains("64 hex digits", error.Message);
        AssertNothingKept();
    }

    /// <summary>IProgress that records synchronously (Progress&lt;T&gt; posts to the thread pool, so its last report may come late).</summary>
    private sealed class SyncProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }
}
