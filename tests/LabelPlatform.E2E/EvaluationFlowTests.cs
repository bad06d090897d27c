using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Identity;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Jobs;
using LabelPlatform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>A reviewer reads an evaluation report of a ResNet18 run and follows a confusion cell to its failures, in Chromium.</summary>
public sealed class EvaluationFlowTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private static readonly string[] Classes = ["Faces", "accordion", "anchor"];
    private const int PerClass = 8;

    [Fact]
    public Task Reviewer_reads_a_report_and_opens_the_pairs_behind_a_confusion_cell() => RunAsync(async () =>
    {
        var runId = await PrepareEvaluatedRunAsync();
        var email = $"reviewer-{Guid.NewGuid():N}@e2e.local";
        await Server.CreateUserAsync(email, Roles.Reviewer);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(email, PlatformFactory.UserPassword);

        var report = await new EvaluationReportPage(Page).GotoAsync(runId);

        await Expect(report.Heading).ToContainTextAsync(ModelRegistry.ResNet18);
        await Expect(report.Headline).ToHaveCountAsync(7);
        await Expect(report.Charts).ToHaveCountAsync(3);
        // Charts load eagerly; wait for each before judging its pixels.
        for (var i = 0; i < 3; i++)
        {
            await Expect(report.Charts.Nth(i)).ToBeVisibleAsync();
            await report.Charts.Nth(i).EvaluateAsync("i => i.complete || new Promise(r => { i.onload = r; i.onerror = r; })");
        }

        Assert.True(await report.ChartsLoadedAsync(), "every chart should load as an image");
        await Expect(report.Confusion).ToBeVisibleAsync();
        // K = 10 with 7 relevant images per query: at least 3 of each query's top-10 slots are another class.
        Assert.True(await report.ConfusionLinks.CountAsync() > 0, "the matrix should link its off-diagonal cells");
        await ScreenshotAsync("evaluation-report");

        var cell = report.ConfusionLinks.First;
        var queryClass = await cell.GetAttributeAsync("data-query-class");
        var resultClass = await cell.GetAttributeAsync("data-result-class");
        var pairs = await report.OpenCellAsync(cell);

        await Expect(pairs.Heading).ToContainTextAsync($"{queryClass} queries");
        await Expect(pairs.Heading).ToContainTextAsync($"{resultClass} results");
        Assert.True(await pairs.Rows.CountAsync() > 0, "the cell's pairs should be listed");
        Assert.True(await Page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#pairs img')].slice(0, 4).every(i => i.complete ? i.naturalWidth > 0 : true)"));
        Assert.Empty(PageErrors);
        await ScreenshotAsync("evaluation-pairs");
    });

    /// <summary>Three Caltech classes of <see cref="PerClass"/> images, embedded with ResNet18 and evaluated leave-one-out.</summary>
    private async Task<long> PrepareEvaluatedRunAsync()
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("eval", Classes, PerClass);
        var model = await Server.EmbedAsync(datasetId, ModelRegistry.ResNet18);

        var services = Server.Services;
        var evaluations = services.GetRequiredService<EvaluationService>();
        var split = await evaluations.GetOrCreateSplitAsync(datasetId, null, SplitProtocols.LeaveOneOut, 0, "e2e");
        var (run, job) = await evaluations.CreateRunAsync(new EvaluationRequest
        {
            DatasetId = datasetId, SplitId = split.Id, ModelId = model.Id, Ks = [1, 5, 10], MainK = 10, StartedBy = "e2e",
        }, enqueue: false);
        using var scope = services.CreateScope();
        Assert.NotNull(await scope.ServiceProvider.GetRequiredService<EvaluateJob>().RunAsync(job.Id, CancellationToken.None));
        return run.Id;
    }
}
