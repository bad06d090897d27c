using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Labelling;

public static class LabellingServiceCollectionExtensions
{
    /// <summary>Labelling boards, label submission and the insights built on them (settings are per dataset).</summary>
    public static IServiceCollection AddLabelling(this IServiceCollection services)
    {
        services.AddSingleton<LabelWriteGate>();
        services.AddSingleton<LabellingSettingsService>();
        services.AddSingleton<LabelLeases>();
        services.AddSingleton<LabelNames>();
        services.AddSingleton<LabelHistory>();
        services.AddSingleton<LabelSubmissions>();
        services.AddSingleton<ReviewDecisions>();
        services.AddSingleton<NeighbourLabels>();
        services.AddSingleton<NeighbourExpansion>();
        services.AddSingleton<LabelSuggestions>();
        services.AddSingleton<LabelAgreement>();
        services.AddSingleton<Queue.QueuePriorities>();
        services.AddSingleton<Queue.LabelQueue>();
        return services;
    }
}
