using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Training;

public static class TrainingServiceCollectionExtensions
{
    /// <summary>Projection-head training; its settings are per run (<see cref="TrainingOptions"/>), not configuration.</summary>
    public static IServiceCollection AddTraining(this IServiceCollection services)
    {
        services.AddSingleton<TrainingData>();
        services.AddSingleton<TrainedModels>();
        services.AddSingleton<HeldOutClassCheck>();
        services.AddSingleton<TrainingService>();
        return services;
    }
}
