using LabelPlatform.Core.Browsing;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Deletion;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Exports;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Maps;
using LabelPlatform.Core.Outbound;
using LabelPlatform.Core.Review;
using LabelPlatform.Core.Search;
using LabelPlatform.Core.Training;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core;

public static class CoreServiceCollectionExtensions
{
    public const string MigrationsAssembly = DataServiceCollectionExtensions.MigrationsAssembly;

    /// <summary>
    /// The platform's data and services, shared by the web app, the worker and the CLI. Each feature registers itself
    /// and binds and validates its own configuration section.
    /// </summary>
    public static IServiceCollection AddPlatformCore(this IServiceCollection services, IConfiguration configuration, string contentRoot) => services
        .AddStorage(configuration, contentRoot)
        .AddOutbound(configuration)
        .AddPlatformIdentity(configuration)
        .AddImages(configuration)
        .AddJobRuns(configuration)
        .AddDatasets(configuration)
        .AddEmbeddings(configuration)
        .AddSearch(configuration)
        .AddEvaluation()
        .AddCrawling(configuration)
        .AddTraining()
        .AddLabelling()
        .AddReviewDesk()
        .AddExports()
        .AddMaps(configuration)
        .AddBrowsing()
        .AddDeletion();
}
