using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Browsing;

public static class BrowsingServiceCollectionExtensions
{
    /// <summary>The data browser: filtered, sorted pages of a dataset's images and bulk actions on a selection.</summary>
    public static IServiceCollection AddBrowsing(this IServiceCollection services)
    {
        services.AddSingleton<BrowseQuery>();
        services.AddSingleton<BrowseActions>();
        return services;
    }
}
