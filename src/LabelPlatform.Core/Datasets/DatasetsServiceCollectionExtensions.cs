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
        services.AddHttpClient(ArchiveDownloader.HttpClientName, c =>
        {
            // The downloader enforces its own deadline; HttpClient's would cut long legitimate downloads.
            c.Timeout = Timeout.InfiniteTimeSpan;
            c.DefaultRequestHeaders.UserAgent.ParseAdd("LabelPlatform/1.0 (dataset import)");
        });
        services.AddSingleton<ArchiveDownloader>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<DatasetImporter>();
        return services;
    }
}
