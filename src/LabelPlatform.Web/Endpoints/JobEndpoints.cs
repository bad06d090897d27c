using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Endpoints;

/// <summary>Live progress for the Jobs pages, polled by wwwroot/js/jobs.js.</summary>
public static class JobEndpoints
{
    public sealed record JobStatus(long Id, string State, int? Total, int Processed, int Succeeded, int Duplicates, int Failed, double? Fraction, string? Message, string? Error, bool Finished, double? ItemsPerSecond);

    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/jobs/status", async (string ids, PlatformDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            var wanted = ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => long.TryParse(s, out var v) ? v : -1).Where(v => v > 0).Take(200).ToList();
            var runs = await db.JobRuns.AsNoTracking().Where(j => wanted.Contains(j.Id)).ToListAsync(ct);
            return runs.Select(r => ToStatus(r, clock.GetUtcNow())).ToList();
        }).RequireAuthorization(Policies.Admin);
        return app;
    }

    public static JobStatus ToStatus(JobRun run, DateTimeOffset now)
    {
        var end = run.FinishedAt ?? now;
        var seconds = run.StartedAt is { } started ? (end - started).TotalSeconds : 0;
        return new JobStatus(run.Id, run.DisplayState(now), run.Total, run.Processed, run.Succeeded, run.Duplicates, run.Failed,
            run.State == JobState.Succeeded ? 1 : run.ProgressFraction, run.Message, run.Error, run.IsFinished,
            seconds > 0.5 ? run.Processed / seconds : null);
    }
}
