using LabelPlatform.Core.Labelling;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Evaluation;

public static class EvaluationServiceCollectionExtensions
{
    /// <summary>Ground truth, splits and evaluation runs with their reports (no options of its own).</summary>
    public static IServiceCollection AddEvaluation(this IServiceCollection services)
    {
        services.AddMemoryCache();
        services.AddSingleton<GroundTruthService>();
        services.AddSingleton<EvaluationService>();
        services.AddSingleton<SplitFiles>();
        return services;
    }
}
