using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Datasets;

public static class DatasetsServiceCollectionExtensions
{
    /// <summary>"Import": datasets and their imports from folders, uploaded archives and URLs.</summary>
    public static IServiceCollection AddDatasets(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<ImportOptions>(configuration, ImportOptions.Section);
        services.AddSingleton<ArchiveExtractor>();
        services.AddSingleton<ArchiveDownloader>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<ImageIngest>();
        services.AddSingleton<DatasetImporter>();
        services.AddSingleton<RejectionLog>();
        services.AddSingleton<ImageDeletion>();
        return services;
    }
}
