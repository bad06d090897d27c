using LabelPlatform.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.E2E.Infrastructure;

/// <summary>
/// The integration tests' platform (real SQLite files in a temp folder, seeded admin, in-memory Hangfire running jobs
/// in-process) served by Kestrel on a free loopback port, so a real browser can reach it.
/// </summary>
public sealed class E2EServer : PlatformFactory
{
    private Uri? _baseAddress;

    public E2EServer()
    {
        // The crawl test serves its site on 127.0.0.1: only that address is opened in the SSRF guard.
        With("Crawler:AllowedNetworks:0", "127.0.0.1/32");
        With("Crawler:PerHostDelay", "00:00:00.100");
    }

    /// <summary>http://127.0.0.1:&lt;port&gt;/ — what the browser navigates to; set by <see cref="Start"/>.</summary>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("Call Start() first");

    /// <summary>Builds the host, migrates and seeds the database, and listens on Kestrel.</summary>
    public void Start()
    {
        // Port 0: the OS picks a free port, so parallel test classes and a developer's running app never collide.
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var address = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel started without reporting an address");
        _baseAddress = new Uri(address.TrimEnd('/') + "/");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // appsettings.json pins Urls to port 5080; a loopback port 0 keeps the tests off it.
        builder.UseSetting("urls", "http://127.0.0.1:0");
    }
}
