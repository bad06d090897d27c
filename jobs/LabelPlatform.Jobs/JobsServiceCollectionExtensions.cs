using System.ComponentModel.DataAnnotations;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.Storage.SQLite;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Jobs;

public sealed class PlatformHangfireOptions
{
    public const string Section = "Hangfire";

    /// <summary>Whether this process executes jobs (the web app by default; turn off when separate workers run them).</summary>
    public bool RunServer { get; set; } = true;

    /// <summary>Jobs executed at once by this process. Each job parallelises inside, so few workers suffice.</summary>
    [Range(1, 256)]
    public int WorkerCount { get; set; } = 2;

    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a job fetched by a process that then died stays invisible before another process retries it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>Creates the Hangfire storage; tests swap it for in-memory storage.</summary>
public sealed class JobStorageFactory(Func<IServiceProvider, JobStorage> create)
{
    public JobStorage Create(IServiceProvider services) => create(services);

    /// <summary>The storage that goes with the platform database: PostgreSQL's when it is PostgreSQL, otherwise SQLite's.</summary>
    public static JobStorage ForDatabase(IServiceProvider services) =>
        services.GetRequiredService<IOptions<DatabaseOptions>>().Value.IsPostgres ? Postgres(services) : Sqlite(services);

    /// <summary>
    /// Hangfire's tables in their own schema of the platform's PostgreSQL database: every web and worker process with
    /// the connection string shares one queue, on any machine (Hangfire creates the schema on first start).
    /// </summary>
    public static JobStorage Postgres(IServiceProvider services)
    {
        var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var options = services.GetRequiredService<IOptions<PlatformHangfireOptions>>().Value;
        var storageOptions = new PostgreSqlStorageOptions
        {
            SchemaName = "hangfire",
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = options.QueuePollInterval,
            InvisibilityTimeout = options.InvisibilityTimeout,
            // A job stays invisible while its process lives (the fetch is renewed), and only a dead process's job is
            // fetched again after InvisibilityTimeout; without it a long job would start a second time beside itself.
            UseSlidingInvisibilityTimeout = true,
        };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(database.ConnectionString!, storageOptions), storageOptions);
    }

    /// <summary>Hangfire's own SQLite file beside the platform database (kept apart so neither locks the other).</summary>
    public static JobStorage Sqlite(IServiceProvider services)
    {
        var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var options = services.GetRequiredService<IOptions<PlatformHangfireOptions>>().Value;
        Directory.CreateDirectory(storage.RootPath);
        return new SQLiteStorage(storage.HangfireDatabasePath, new SQLiteStorageOptions
        {
            QueuePollInterval = options.QueuePollInterval,
            InvisibilityTimeout = options.InvisibilityTimeout,
        });
    }
}

public static class JobsServiceCollectionExtensions
{
    /// <summary>Hangfire client (and, when <see cref="PlatformHangfireOptions.RunServer"/>, a server) plus the job classes.</summary>
    public static IServiceCollection AddPlatformJobs(this IServiceCollection services, IConfiguration configuration, bool? runServer = null)
    {
        services.AddSection<PlatformHangfireOptions>(configuration, PlatformHangfireOptions.Section);
        services.TryAddSingleton(new JobStorageFactory(JobStorageFactory.ForDatabase));
        // Registered before AddHangfire so the DI container, not Hangfire's global JobStorage.Current, owns the storage
        // (several hosts in one process, as in tests, each keep their own).
        services.TryAddSingleton(sp => sp.GetRequiredService<JobStorageFactory>().Create(sp));
        // Likewise the job activator: Hangfire's default is the global JobActivator.Current, so with two hosts in a
        // process a job could be built from the other host's services (its database, its data folder).
        services.TryAddSingleton<JobActivator>(sp => new Hangfire.AspNetCore.AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, config) =>
        {
            config
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UseStorage(sp.GetRequiredService<JobStorage>());
            // Hangfire's log provider is process-global: never leave it pointing at a logger factory that a disposed host
            // owned. Tests may register their own (silent) provider.
            config.UseLogProvider(sp.GetService<Hangfire.Logging.ILogProvider>() ?? new HostLogProvider(sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        });

        var serve = runServer ?? configuration.GetSection(PlatformHangfireOptions.Section).GetValue(nameof(PlatformHangfireOptions.RunServer), true);
        if (serve)
        {
            services.AddHangfireServer((sp, server) =>
            {
                var options = sp.GetRequiredService<IOptions<PlatformHangfireOptions>>().Value;
                server.WorkerCount = options.WorkerCount;
                server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
            });
            services.AddHostedService<ChunkJoinService>();
        }

        services.AddSingleton<IJobScheduler, HangfireJobScheduler>();
        services.AddTransient<ImportDatasetJob>();
        services.AddTransient<EmbedDatasetJob>();
        services.AddTransient<EvaluateJob>();
        services.AddTransient<CrawlJob>();
        services.AddTransient<CrawlFetcherJob>();
        services.AddTransient<TrainJob>();
        services.AddTransient<MapJob>();
        services.AddTransient<ScheduledJobs>();
        return services;
    }
}
