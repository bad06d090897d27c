using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Review;

public static class ReviewServiceCollectionExtensions
{
    /// <summary>The reviewer's desk (paged queues, bulk accept) and the neighbours shown beside each image.</summary>
    public static IServiceCollection AddReviewDesk(this IServiceCollection services)
    {
        services.AddSingleton<ReviewDesk>();
        services.AddSingleton<ReviewQueues>();
        services.AddSingleton<ImportSuspectQueue>();
        services.AddSingleton<ReviewNeighbours>();
        return services;
    }
}
