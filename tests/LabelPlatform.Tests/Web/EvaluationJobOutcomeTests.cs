using System.Net;
using Hangfire;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>
/// An evaluation that cannot run is refused when it is started; one that fails in its job is Failed in Hangfire as
/// on the Jobs page; and an evaluate job's page links to its report.
/// </summary>
public class EvaluationJobOutcomeTests
{
    [Fact]
    public async Task A_failed_evaluation_is_failed_in_hangfire_too()
    {
        await using var factory = new PlatformFactory();
        _ = await factory.SignInAdminAsync();
        var data = await EvaluationSeed.CreateAsync(factory.Services, "hangfire-fail");
        var evaluations = factory.Services.GetRequiredService<EvaluationService>();
        var split = await evaluations.GetOrCreateSplitAsync(data.DatasetId, null, SplitProtocols.LeaveOneOut, 0, "test");
        var (_, job) = await evaluations.CreateRunAsync(new EvaluationRequest { DatasetId = data.DatasetId, SplitId = split.Id, ModelId = data.ModelId, Ks = [1, 5], MainK = 5 }, enqueue: false);
        await WithDbAsync(factory, db => db.Embeddings.ExecuteDeleteAsync()); // gone between submission and the job

        var hangfireId = factory.Services.GetRequiredService<IJobScheduler>().Enqueue(job);
        var storage = factory.Services.GetRequiredService<JobStorage>();
        string? State()
        {
            using var connection = storage.GetConnection();
            return connection.GetStateData(hangfireId)?.Name;
        }

        // A safety net: the in-process server picks the job up within a poll interval.
        Assert.True(await Polling.WaitUntilAsync(() => Task.FromResult(State() is "Failed" or "Succeeded"), TimeSpan.FromSeconds(60)), $"Hangfire state {State()}");

        Assert.Equal("Failed", State());
        var run = (await factory.Services.GetRequiredService<JobRunService>().FindAsync(job.Id))!;
        Assert.Equal(JobState.Failed, run.State);
        Assert.Contains("have no", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_an_evaluation_of_a_model_without_embeddings_is_refused_with_the_reason()
    {
        await using var factory = new PlatformFactory();
        var admin = await factory.SignInAdminAsync();
        var data = await EvaluationSeed.CreateAsync(factory.Services, "no-vectors");
        var split = await factory.Services.GetRequiredService<EvaluationService>().GetOrCreateSplitAsync(data.DatasetId, null, SplitProtocols.LeaveOneOut, 0, "test");
        await WithDbAsync(factory, db => db.Embeddings.ExecuteDeleteAsync());

        var response = await admin.PostFormAsync("/Admin/Evaluations", new()
        {
            ["Input.DatasetId"] = data.DatasetId.ToString(),
            ["Input.SplitId"] = split.Id.ToString(),
            ["Input.ModelId"] = data.ModelId.ToString(),
            ["Input.KValues"] = "1,5,10",
            ["Input.MainK"] = "10",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // the form again, not a redirect to a job that will fail
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("Not started:", html, StringComparison.Ordinal);
        Assert.Contains("evaluation images have no no-vectors-model v1 embedding yet: compute embeddings", html, StringComparison.Ordinal);
        Assert.Equal(0, await WithDbAsync(factory, db => db.EvaluationRuns.CountAsync()));
    }

    [Fact]
    public async Task An_evaluate_job_page_links_to_its_report()
    {
        await using var factory = new PlatformFactory();
        var admin = await factory.SignInAdminAsync();
        var data = await EvaluationSeed.CreateAsync(factory.Services, "report-link");
        var split = await factory.Services.GetRequiredService<EvaluationService>().GetOrCreateSplitAsync(data.DatasetId, null, SplitProtocols.LeaveOneOut, 0, "test");
        var run = await EvaluationSeed.EvaluateAsync(factory.Services, data.DatasetId, split.Id, data.ModelId);

        var page = await admin.GetStringAsync($"/Admin/Jobs/Details/{run.JobRunId}");

        Assert.Contains($"<a href=\"/Evaluation/Report/{run.Id}\">", page, StringComparison.Ordinal);
    }

    private static async Task<T> WithDbAsync<T>(PlatformFactory factory, Func<PlatformDbContext, Task<T>> action)
    {
        using var scope = factory.Services.CreateScope();
        return await action(scope.ServiceProvider.GetRequiredService<PlatformDbContext>());
    }
}
