using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.InMemory;
using LabelPlatform.Core.Identity;
using LabelPlatform.Jobs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.E2E.Infrastructure;

/// <summary>
/// The real web app on Kestrel at a free loopback port, so a real browser can reach it. Configured like the
/// integration tests' PlatformFactory (copied, not referenced, so the two test projects stay independent): real
/// SQLite files in a fresh temp folder, a seeded admin, and Hangfire on in-memory storage with its server running
/// jobs in-process.
/// </summary>
public sealed class E2EServer : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@e2e.local";
    public const string AdminPassword = "Admin-Passw0rd!";
    public const string UserPassword = "User-Passw0rd!";

    private Uri? _baseAddress;

    public E2EServer()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "labelplatform-e2e", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
    }

    public string DataDirectory { get; }

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
        builder.UseEnvironment("Testing");
        builder.UseSetting("Storage:DataDirectory", DataDirectory);
        builder.UseSetting("Identity:Admin:Email", AdminEmail);
        builder.UseSetting("Identity:Admin:Password", AdminPassword);
        builder.UseSetting("Hangfire:WorkerCount", "2");
        // appsettings.json pins Urls to port 5080; a loopback port 0 keeps the tests off it.
        builder.UseSetting("urls", "http://127.0.0.1:0");

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(new JobStorageFactory(_ => new InMemoryStorage()));
            // Hangfire's AddHangfire registers the job activator as the process-wide JobActivator.Current, which each
            // host overwrites as it starts. With two test classes' servers starting in parallel, one host's worker
            // could build jobs from the other host's container (seen: "Job run 1 has nothing to do" in the wrong
            // database, the import stuck at Queued). Registering this host's own activator last makes DI win.
            services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        });
    }

    /// <summary>Creates a confirmed user with <see cref="UserPassword"/> straight through Identity (as an admin would).</summary>
    public async Task<string> CreateUserAsync(string email, params string[] roles)
    {
        using var scope = Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        var user = new PlatformUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
        var result = await users.CreateAsync(user, UserPassword);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
        if (roles.Length > 0)
        {
            var added = await users.AddToRolesAsync(user, roles);
            Assert.True(added.Succeeded, string.Join("; ", added.Errors.Select(e => e.Description)));
        }

        return user.Id;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            TryDelete(DataDirectory);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        TryDelete(DataDirectory);
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
