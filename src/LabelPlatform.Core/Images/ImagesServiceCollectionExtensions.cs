using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Images;

public static class ImagesServiceCollectionExtensions
{
    /// <summary>"Images": the caps every ingested file is checked against, and the store that keeps accepted files.</summary>
    public static IServiceCollection AddImages(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<ImageValidationOptions>(configuration, ImageValidationOptions.Section);
        services.AddSingleton<ImageValidator>();
        services.AddSingleton<ImageStore>();
        return services;
    }
}
