using System.Net;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Jobs;

/// <summary>A run whose process died is shown as interrupted, not "Running" forever, and an admin can resume it.</summary>
public class InterruptedRunTests
{
    [Fact]
    public async Task A_lapsed_run_is_shown_interrupted_and_resume_finishes_it_from_its_checkpoint()
    {
        await using var factory = new PlatformFactory().With("Jobs:LeaseDuration", "00:00:01");
        using var folder = new ImportFolder().AddCaltech("accordion", 6);
        var admin = await factory.SignInAdminAsync();
        var dataset = await factory.Services.GetRequiredService<DatasetService>().GetOrCreateAsync("interrupted", null, "test");
        var runs = factory.Services.GetRequiredService<JobRunService>();
        var run = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder.Root }, "cli:test");
        // A process claims the run and dies without a word (as a CLI killed with SIGKILL).
        Assert.Equal(JobRunService.StartOutcome.Started, (await runs.StartAsync(run.Id, "dead-process")).Outcome);

        var whileHeld = await admin.GetStringAsync($"/Admin/Jobs/Details/{run.Id}");
        Assert.DoesNotContain("id=\"resume-form\"", whileHeld, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await admin.PostFormAsync($"/Admin/Jobs/Details/{run.Id}?handler=Resume", [], $"/Admin/Jobs/Details/{run.Id}")).StatusCode);
        Assert.Null((await runs.FindAsync(run.Id))!.HangfireJobId); // refused: a live process may still hold it

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var page = await admin.GetStringAsync($"/Admin/Jobs/Details/{run.Id}");
        Assert.Contains("<span class=\"state\">Interrupted</span>", page, StringComparison.Ordinal);
        Assert.Contains("id=\"resume-form\"", page, StringComparison.Ordinal);
        Assert.Contains("<span class=\"state\">Interrupted</span>", await admin.GetStringAsync("/Admin/Jobs"), StringComparison.Ordinal);
        Assert.Contains("\"state\":\"Interrupted\"", await admin.GetStringAsync($"/api/jobs/status?ids={run.Id}"), StringComparison.Ordinal);

        var resume = await admin.PostFormAsync($"/Admin/Jobs/Details/{run.Id}?handler=Resume", [], $"/Admin/Jobs/Details/{run.Id}");

        Assert.Equal(HttpStatusCode.Redirect, resume.StatusCode);
        var done = await factory.Services.WaitForRunAsync(run.Id);
        Assert.True(done.State == JobState.Succeeded, $"{done.State}: {done.Error}");
        Assert.Equal(6, done.Succeeded);
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(6, await db.Images.CountAsync(i => i.DatasetId == dataset.Id));
    }
}
