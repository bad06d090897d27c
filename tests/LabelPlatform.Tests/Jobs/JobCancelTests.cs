using System.Net;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Jobs;

public class JobCancelTests : IDisposable
{
    // Slow enough (one file at a time, small batches) to press Cancel while it runs.
    private readonly PlatformFactory _factory = new PlatformFactory().With("Import:Parallelism", "1").With("Import:BatchSize", "5");

    [Fact]
    public async Task Cancel_on_the_job_page_stops_a_running_import_and_keeps_what_was_committed()
    {
        using var folder = new ImportFolder().AddCaltech("airplanes", 800);
        var admin = await _factory.SignInAdminAsync();
        int datasetId;
        using (var scope = _factory.Services.CreateScope())
        {
            datasetId = (await scope.ServiceProvider.GetRequiredService<DatasetService>().GetOrCreateAsync("cancel-me", null, "test")).Id;
        }

        var started = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Folder&datasetId={datasetId}", new() { ["Folder.Path"] = folder.Root }, tokenPage: $"/Admin/Datasets/Import?datasetId={datasetId}");
        var runId = JobWaiting.RunIdFrom(started);
        var runs = _factory.Services.GetRequiredService<JobRunService>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await runs.FindAsync(runId))!.Processed == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var cancel = await admin.PostFormAsync($"/Admin/Jobs/Details/{runId}?handler=Cancel", [], tokenPage: $"/Admin/Jobs/Details/{runId}");
        Assert.Equal(HttpStatusCode.Redirect, cancel.StatusCode);
        var run = await _factory.Services.WaitForRunAsync(runId);

        Assert.Equal(JobState.Cancelled, run.State);
        Assert.InRange(run.Processed, 1, 799);
        using var check = _factory.Services.CreateScope();
        var stored = await check.ServiceProvider.GetRequiredService<PlatformDbContext>().Images.CountAsync(i => i.DatasetId == datasetId);
        // Counters move only after a batch is committed, so what the run reports is what the database holds.
        Assert.Equal(run.Succeeded, stored);
        var page = await admin.GetStringAsync($"/Admin/Jobs/Details/{runId}");
        Assert.Contains("Cancelled", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"cancel-form\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_finished_run_says_so_and_changes_nothing()
    {
        var admin = await _factory.SignInAdminAsync();
        using var folder = new ImportFolder().Add("c/a.jpg", TestImages.Jpeg());
        int datasetId;
        using (var scope = _factory.Services.CreateScope())
        {
            datasetId = (await scope.ServiceProvider.GetRequiredService<DatasetService>().GetOrCreateAsync("done", null, "test")).Id;
        }

        var started = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Folder&datasetId={datasetId}", new() { ["Folder.Path"] = folder.Root }, tokenPage: $"/Admin/Datasets/Import?datasetId={datasetId}");
        var run = await _factory.Services.WaitForRunAsync(JobWaiting.RunIdFrom(started));
        Assert.Equal(JobState.Succeeded, run.State);

        var cancel = await admin.PostFormAsync($"/Admin/Jobs/Details/{run.Id}?handler=Cancel", [], tokenPage: "/Admin/Jobs");
        var page = await admin.GetStringAsync(cancel.Headers.Location!.OriginalString);

        Assert.Contains("had already finished", page, StringComparison.Ordinal);
        Assert.Equal(JobState.Succeeded, (await _factory.Services.GetRequiredService<JobRunService>().FindAsync(run.Id))!.State);
    }

    public void Dispose() => _factory.Dispose();
}
