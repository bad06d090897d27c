using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Review;

public static class ReviewServiceCollectionExtensions
{
    /// <summary>The reviewer's desk (paged queues, bulk accept), the neighbours shown beside each image, and review flags.</summary>
    public static IServiceCollection AddReviewDesk(this IServiceCollection services)
    {
        services.AddSingleton<ReviewDesk>();
        services.AddSingleton<ReviewQueues>();
        services.AddSingleton<ImportSuspectQueue>();
        services.AddSingleton<ReviewNeighbours>();
        services.AddSingleton<ReviewFlagging>();
        return services;
    }
}
