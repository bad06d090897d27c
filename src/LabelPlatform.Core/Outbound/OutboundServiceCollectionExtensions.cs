using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LabelPlatform.Core.Outbound;

public static class OutboundServiceCollectionExtensions
{
    /// <summary>The guarded fetcher every outbound request goes through, and its "Outbound" options (validated at start).</summary>
    public static IServiceCollection AddOutbound(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<OutboundOptions>(configuration, OutboundOptions.Section);
        // TryAdd: a test may answer host names itself (DNS rebinding, names of hostile notations).
        services.TryAddSingleton<IHostResolver, DnsHostResolver>();
        services.AddSingleton<AddressPolicy>();
        services.AddSingleton<NetworkGuard>();
        services.AddSingleton<OutboundFetcher>();
        services.AddSingleton<FileDownloader>();
        return services;
    }
}
