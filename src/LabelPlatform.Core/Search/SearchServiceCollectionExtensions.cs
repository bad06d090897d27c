using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Search;

public static class SearchServiceCollectionExtensions
{
    /// <summary>"Search": query-by-image over a dataset's stored embeddings.</summary>
    public static IServiceCollection AddSearch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<SearchOptions>(configuration, SearchOptions.Section);
        services.AddSingleton<SearchService>();
        services.AddSingleton<UniquenessScores>();
        return services;
    }
}
