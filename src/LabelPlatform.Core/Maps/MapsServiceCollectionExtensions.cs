using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Maps;

public static class MapsServiceCollectionExtensions
{
    /// <summary>"Maps": embedding maps (UMAP) per dataset and model version, their runs, view and labelling.</summary>
    public static IServiceCollection AddMaps(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<MapOptions>(configuration, MapOptions.Section);
        services.AddSingleton<MapService>();
        services.AddSingleton<MapRuns>();
        services.AddSingleton<MapView>();
        services.AddSingleton<MapLabelling>();
        return services;
    }
}
