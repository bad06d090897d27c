using LabelPlatform.Core.Data;
using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Images;

public static class ImagesServiceCollectionExtensions
{
    /// <summary>
    /// "Images": the caps every ingested file is checked against, and the store that keeps accepted files, on the
    /// storage "Storage:Images" names (checked at start-up: a wrong kind or a missing bucket stops the process).
    /// </summary>
    public static IServiceCollection AddImages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<ImageValidationOptions>(configuration, ImageValidationOptions.Section);
        services.AddSection<ImageStorageOptions>(configuration, ImageStorageOptions.Section);
        services.AddSingleton<ImageValidator>();
        services.AddSingleton<IBlobStorage>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ImageStorageOptions>>();
            return options.Value.IsS3
                ? new S3BlobStorage(options)
                : new FileSystemBlobStorage(options, sp.GetRequiredService<IOptions<StorageOptions>>());
        });
        services.AddSingleton<ImageStore>();
        return services;
    }
}
