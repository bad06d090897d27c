using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Outbound;
using LabelPlatform.Core.Search;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core;

public static class CoreServiceCollectionExtensions
{
    public const string MigrationsAssembly = "LabelPlatform.Migrations";

    /// <summary>
    /// The platform's data and services, shared by the web app, the worker and the CLI. The database and the data
    /// directory come from the "Storage" section; relative paths resolve against <paramref name="contentRoot"/>.
    /// </summary>
    public static IServiceCollection AddPlatformCore(this IServiceCollection services, IConfiguration configuration, string contentRoot)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.Section))
            .PostConfigure(o =>
            {
                o.RootPath = StorageOptions.ResolveRoot(o.DataDirectory, contentRoot);
                o.ContentRoot = contentRoot;
            });
        services.AddOptions<ImageValidationOptions>().Bind(configuration.GetSection(ImageValidationOptions.Section));
        services.AddOptions<ImportOptions>().Bind(configuration.GetSection(ImportOptions.Section));
        services.AddOptions<AdminAccountOptions>().Bind(configuration.GetSection(AdminAccountOptions.Section));
        services.AddOptions<JobOptions>().Bind(configuration.GetSection(JobOptions.Section));
        services.AddOptions<EmbeddingOptions>().Bind(configuration.GetSection(EmbeddingOptions.Section));

        // A factory for jobs (many short contexts from several threads) and a scoped context for pages and Identity.
        services.AddPooledDbContextFactory<PlatformDbContext>(ConfigureDb);
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext());

        services.AddIdentityCore<PlatformUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 10;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<PlatformDbContext>()
            .AddDefaultTokenProviders();

        // Keys sign auth and antiforgery cookies; kept in the data directory so sign-ins survive a restart.
        services.AddDataProtection().SetApplicationName("LabelPlatform");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<StorageOptions>, ILoggerFactory>((o, storage, logs) =>
            o.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(storage.Value.RootPath, "keys")), logs));

        services.AddScoped<AdminSeeder>();
        services.AddSingleton<ApiTokenService>();
        services.AddScoped<UserAccess>();
        services.AddSingleton<ImageValidator>();
        services.AddSingleton<ImageStore>();
        services.AddSingleton<ArchiveExtractor>();
        services.AddOutbound(configuration);
        services.AddSingleton<ArchiveDownloader>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<DatasetImporter>();
        services.AddSingleton<JobRunService>();
        services.AddSingleton<JobExecutor>();
        services.AddSingleton<BackgroundCpu>();
        services.AddSingleton<ImagePreprocessor>();
        services.AddSingleton<OnnxEmbedder>();
        services.AddSingleton<InferenceHardware>();
        services.AddSingleton<ModelCheckImages>();
        services.AddSingleton<FloatVariants>();
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<EmbeddingService>();
        services.AddSingleton<EmbedRuns>();
        services.AddOptions<SearchOptions>().Bind(configuration.GetSection(SearchOptions.Section));
        services.AddSingleton<SearchService>();
        services.AddMemoryCache();
        services.AddSingleton<GroundTruthService>();
        services.AddSingleton<EvaluationService>();
        services.AddSingleton<SplitFiles>();
        services.AddOptions<CrawlerOptions>().Bind(configuration.GetSection(CrawlerOptions.Section));
        services.AddSingleton<GuardedFetcher>();
        services.AddSingleton<RobotsCache>();
        services.AddSingleton<CrawlService>();
        services.AddSingleton<Training.TrainingData>();
        services.AddSingleton<Training.TrainedModels>();
        services.AddSingleton<Training.HeldOutClassCheck>();
        services.AddSingleton<Training.TrainingService>();
        services.AddSingleton<LabellingService>();
        services.AddSingleton<LabelInsights>();
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
