using LabelPlatform.Core.Settings;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Data;

public static class DataServiceCollectionExtensions
{
    public const string MigrationsAssembly = "LabelPlatform.Migrations";

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

        // A factory for jobs (many short contexts from several threads) and a scoped context for pages and Identity.
        services.AddPooledDbContextFactory<PlatformDbContext>(ConfigureDb);
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext());
        return services;
    }

    private static void ConfigureDb(IServiceProvider services, DbContextOptionsBuilder options)
    {
        var storage = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        Directory.CreateDirectory(storage.RootPath);
        options.UseSqlite(storage.EffectiveConnectionString, sqlite => sqlite.MigrationsAssembly(MigrationsAssembly))
            .AddInterceptors(new SqlitePragmaInterceptor());
    }
}
