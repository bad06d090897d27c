using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Exports;

public static class ExportsServiceCollectionExtensions
{
    /// <summary>Label exports (csv, jsonl, folder manifest, zip by class).</summary>
    public static IServiceCollection AddExports(this IServiceCollection services)
    {
        services.AddSingleton<LabelExport>();
        return services;
    }
}
