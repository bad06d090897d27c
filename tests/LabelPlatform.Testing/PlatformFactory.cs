using Hangfire;
using Hangfire.InMemory;
using LabelPlatform.Core.Identity;
using LabelPlatform.Jobs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Testing;

/// <summary>
/// The real web app over real SQLite files in a fresh temp folder (or its own PostgreSQL database, see TestDatabase), with Hangfire on in-memory storage (its server
/// runs jobs in-process as in production). Each factory is one isolated platform.
/// </summary>
public class PlatformFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@test.local";
    public const string AdminPassword = "Admin-Passw0rd!";
    public const string UserPassword = "User-Passw0rd!";

    private readonly Dictionary<string, string?> _settings = new(StringComparer.Ordinal);
    private readonly List<Action<IServiceCollection>> _services = [];

    public PlatformFactory()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DataDirectory);
        _settings["Storage:DataDirectory"] = DataDirectory;
        _settings["Identity:Admin:Email"] = AdminEmail;
        _settings["Identity:Admin:Password"] = AdminPassword;
        _settings["Hangfire:WorkerCount"] = "2";
        // Tests that want embeddings after an import turn this on; the rest stay quick.
        _settings["Embeddings:EmbedAfterImport"] = "false";
        _settings["Embeddings:MobileNetV2Path"] = SharedPaths.MobileNetV2;
        // Quantized models take the int8 path on every CPU, so no test depends on the machine running it (the
        // CPU-dependent choice has its own tests).
        _settings["Embeddings:Int8DotProductsExact"] = "true";
        // Background work at normal priority: at nice 10 an embed job gets a sliver of a core while other test hosts
        // and Chromium share the two, and job deadlines would measure the scheduler. BackgroundCpuTests covers nice.
        _settings["Jobs:BackgroundNice"] = "0";
        // LABELPLATFORM_TEST_DATABASE set: this platform's own PostgreSQL database instead of the SQLite file.
        TestDatabase.Apply(Database, _settings);
    }

    /// <summary>This platform's PostgreSQL database; null on a SQLite run.</summary>
    public TestDatabase? Database { get; } = TestDatabase.CreateIfPostgres();

    public string DataDirectory { get; }

    /// <summary>Everything the app logged (Information and up), for diagnosing a failed assertion.</summary>
    public List<string> Logs { get; } = [];

    /// <summary>Extra configuration (e.g. lower caps); set before the first request.</summary>
    public PlatformFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    /// <summary>Replaces or adds services (e.g. a counting decorator); set before the first request.</summary>
    public PlatformFactory WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(new ListLoggerProvider(Logs)));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(new JobStorageFactory(_ => new InMemoryStorage()));
            services.AddSingleton<Hangfire.Logging.ILogProvider, SilentHangfireLogs>();
            foreach (var configure in _services)
            {
                configure(services);
            }
        });
    }

    /// <summary>Where the app listens after <see cref="StartOnSocket"/>; null on the in-memory test server.</summary>
    public Uri? SocketAddress { get; private set; }

    /// <summary>Serves on a real Kestrel socket (loopback, a free port): its body limits and connection handling apply.</summary>
    public void StartOnSocket()
    {
        UseKestrel(0);
        StartServer();
        SocketAddress = new Uri(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>A client that keeps cookies and does not follow redirects (tests assert on them).</summary>
    public HttpClient CreateBrowserClient() => SocketAddress is null
        ? CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true })
        : new HttpClient(new CookieContainerHandler { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false } }) { BaseAddress = SocketAddress };

    public async Task<string> CreateUserAsync(string email, params string[] roles)
    {
        using var scope = Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        var user = new PlatformUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
        Check(await users.CreateAsync(user, UserPassword));
        if (roles.Length > 0)
        {
            Check(await users.AddToRolesAsync(user, roles));
        }

        return user.Id;
    }

    public async Task<string> UserIdAsync(string email)
    {
        using var scope = Services.CreateScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>().FindByEmailAsync(email);
        return user?.Id ?? throw new InvalidOperationException($"no user {email}");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Database?.Dispose();
            TryDelete(DataDirectory);
        }
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
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

/// <summary>Hangfire logs nowhere in tests: its log provider is process-global and test hosts come and go.</summary>
public sealed class SilentHangfireLogs : Hangfire.Logging.ILogProvider
{
    public Hangfire.Logging.ILog GetLogger(string name) => new Silent();

    private sealed class Silent : Hangfire.Logging.ILog
    {
        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
