using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Labelling;

public static class LabellingServiceCollectionExtensions
{
    /// <summary>Label writes (submissions, review decisions, leases) behind one write gate, their reads, and the neighbour hints built on them.</summary>
    public static IServiceCollection AddLabelling(this IServiceCollection services)
    {
        services.AddSingleton<LabelWriteGate>();
        services.AddSingleton<LabelVersions>();
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
