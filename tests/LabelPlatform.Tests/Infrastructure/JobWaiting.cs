using LabelPlatform.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Infrastructure;

public static class JobWaiting
{
    /// <summary>The job run id in a redirect to /Admin/Jobs/Details/{id}.</summary>
    public static long RunIdFrom(HttpResponseMessage response)
    {
        var location = response.Headers.Location?.OriginalString ?? "";
        Assert.True(location.StartsWith("/Admin/Jobs/Details/", StringComparison.Ordinal), $"expected a redirect to the job page, got {(int)response.StatusCode} {location}");
        return long.Parse(location["/Admin/Jobs/Details/".Length..]);
    }

    /// <summary>Polls the run until it has finished (Hangfire runs it in the test host).</summary>
    public static async Task<JobRun> WaitForRunAsync(this IServiceProvider services, long runId, TimeSpan? timeout = null)
    {
        var runs = services.GetRequiredService<JobRunService>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            var run = await runs.FindAsync(runId);
            if (run is { IsFinished: true })
            {
                return run;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job run {runId} did not finish in time");
    }
}
