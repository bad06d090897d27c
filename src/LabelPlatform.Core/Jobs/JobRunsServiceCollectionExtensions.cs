using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Core.Jobs;

public static class JobRunsServiceCollectionExtensions
{
    /// <summary>"Jobs": the platform's record of background runs, their leases, and the low-priority CPU threads.</summary>
    public static IServiceCollection AddJobRuns(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSection<JobOptions>(configuration, JobOptions.Section);
        services.AddSingleton<JobRunService>();
        services.AddSingleton<JobExecutor>();
        services.AddSingleton<JobChunkService>();
        services.AddSingleton<ChunkedJobRunner>();
        services.AddSingleton<BackgroundCpu>();
        return services;
    }
}
