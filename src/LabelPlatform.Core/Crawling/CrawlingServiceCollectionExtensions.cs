using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Crawling;

public static class CrawlingServiceCollectionExtensions
{
    /// <summary>"Crawler": the polite, SSRF-guarded web crawler that collects images into a dataset.</summary>
    public static IServiceCollection AddCrawling(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<CrawlerOptions>(configuration, CrawlerOptions.Section);
        services.AddSingleton<GuardedFetcher>();
        services.AddSingleton<RobotsCache>();
        services.AddSingleton<CrawlFrontier>();
        services.AddSingleton<CrawlHostTurns>();
        services.AddSingleton<CrawlService>();
        services.AddSingleton<CrawlRunner>();
        return services;
    }
}
