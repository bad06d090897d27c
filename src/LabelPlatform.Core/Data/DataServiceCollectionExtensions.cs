using LabelPlatform.Core.Settings;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>SQLite's migrations (the default provider).</summary>
    public const string MigrationsAssembly = "LabelPlatform.Migrations";

    /// <summary>PostgreSQL's migrations: the same model, generated for Npgsql (EF Core "migrations with multiple providers").</summary>
    public const string PostgresMigrationsAssembly = "LabelPlatform.Migrations.Postgres";

    /// <summary>"Storage": the database and the data directory; relative paths resolve against <paramref name="contentRoot"/>.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSection<StorageOptions>(configuration, StorageOptions.Section)
            .PostConfigure(o =>
            {
                o.RootPath = StorageOptions.ResolveRoot(o.DataDirectory, contentRoot);
                o.ContentRoot = contentRoot;
            });
        services.AddSection<DatabaseOptions>(configuration, DatabaseOptions.Section)
            .PostConfigure(o => o.ConnectionString = configuration.GetConnectionString(DatabaseOptions.ConnectionStringName));

        // A factory for jobs (many short contexts from several threads) and a scoped context for pages and Identity.
        services.AddPooledDbContextFactory<PlatformDbContext>(ConfigureDb);
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext());
        return services;
    }

    private static void ConfigureDb(IServiceProvider services, DbContextOptionsBuilder options)
    {
        var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        Directory.CreateDirectory(storage.RootPath);
        if (database.IsPostgres)
        {
            options.UseNpgsql(database.ConnectionString, npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly));
            return;
        }

        var connectionString = string.IsNullOrWhiteSpace(database.ConnectionString) ? storage.EffectiveConnectionString : database.ConnectionString;
        options.UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(MigrationsAssembly))
            .AddInterceptors(new SqlitePragmaInterceptor());
    }
}
