using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Deletion;

public static class DeletionServiceCollectionExtensions
{
    /// <summary>Deleting datasets, model versions and crawls, each with a plan (the counts a confirmation states) first.</summary>
    public static IServiceCollection AddDeletion(this IServiceCollection services)
    {
        services.AddSingleton<DatasetDeletion>();
        services.AddSingleton<ModelDeletion>();
        services.AddSingleton<CrawlDeletion>();
        return services;
    }
}
