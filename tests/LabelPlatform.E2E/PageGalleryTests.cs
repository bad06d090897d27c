using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Labelling.Queue;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Jobs;
using LabelPlatform.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LabelPlatform.E2E;

/// <summary>
/// Every page at 1280x800 with real data behind it (an imported, embedded, labelled and evaluated dataset): each answers
/// below 500, has no sideways scroll and no script error, and leaves a screenshot in gallery-*.png for people to look at
/// (docs/screenshots holds a copy).
/// </summary>
public sealed class PageGalleryTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private static readonly string[] Classes = ["accordion", "airplanes", "barrel", "camera", "dolphin"];
    private static readonly string[] Labellers = ["gallery-a", "gallery-b"];

    [Fact]
    public Task Every_page_at_1280x800_loads_without_sideways_scroll_or_script_errors() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("gallery", Classes, 8);
        var model = await Server.EmbedAsync(datasetId, ModelRegistry.ResNet18);
        var services = Server.Services;
        var evaluations = services.GetRequiredService<EvaluationService>();
        var split = await evaluations.GetOrCreateSplitAsync(datasetId, null, SplitProtocols.LeaveOneOut, 0, "e2e");
        var (run, job) = await evaluations.CreateRunAsync(new EvaluationRequest
        {
            DatasetId = datasetId, SplitId = split.Id, ModelId = model.Id, Ks = [1, 5, 10], MainK = 10, StartedBy = "e2e",
        }, enqueue: false);
        using (var scope = services.CreateScope())
        {
            Assert.NotNull(await scope.ServiceProvider.GetRequiredService<EvaluateJob>().RunAsync(job.Id, CancellationToken.None));
        }

        // A few human labels, two labellers disagreeing on one image, so the review and agreement pages have content.
        var images = await services.GetRequiredService<LabelQueue>().NextAsync(datasetId, "gallery-a", 6, []);
        var classes = await services.GetRequiredService<LabelNames>().ClassNamesAsync(datasetId);
        var labelling = services.GetRequiredService<LabelSubmissions>();
        for (var i = 0; i < images.Count; i++)
        {
            foreach (var user in Labellers)
            {
                var classId = classes.Keys.ElementAt(user == "gallery-b" && i == 0 ? 1 : i % classes.Count);
                await labelling.SubmitAsync(new SubmitRequest(datasetId, user, $"{user}-{i}", "single", [new LabelItem(images[i], LabelEventKind.Label, classId)]));
            }
        }

        await services.GetRequiredService<Core.Review.ReviewFlagging>().FlagAsync(datasetId, [images[1], images[2]], "gallery-a", "two labellers disagree");

        await Page.SetViewportSizeAsync(1280, 800);
        await (await new LoginPage(Page).GotoAsync()).SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        (string Name, string Path)[] pages =
        [
            ("home", "/"), ("datasets", "/Datasets"), ("dataset", $"/Datasets/Details/{datasetId}"), ("rejected", $"/Datasets/Rejected/{datasetId}"),
            ("image", $"/Images/Details/{images[0]}"), ("label-index", "/Label"), ("label-work", $"/Label/Work/{datasetId}"),
            ("label-grid", $"/Label/Grid/{datasetId}"), ("review-index", "/Review"), ("review-queue", $"/Review/Queue/{datasetId}"),
            ("review-agreement", $"/Review/Agreement/{datasetId}"),
            ("search", $"/Search?DatasetId={datasetId}"), ("evaluation-index", "/Evaluation"), ("evaluation-report", $"/Evaluation/Report/{run.Id}"),
            ("evaluation-compare", $"/Evaluation/Compare?a={run.Id}&b={run.Id}"), ("account-password", "/Account/Password"),
            ("admin-users", "/Admin/Users"), ("admin-tokens", "/Admin/ApiTokens"), ("admin-jobs", "/Admin/Jobs"),
            ("admin-job", $"/Admin/Jobs/Details/{job.Id}"), ("admin-crawls", "/Admin/Crawls"), ("admin-dataset-create", "/Admin/Datasets/Create"),
            ("admin-import", $"/Admin/Datasets/Import?datasetId={datasetId}"), ("admin-embed", $"/Admin/Datasets/Embed/{datasetId}"),
            ("admin-labelling", $"/Admin/Datasets/Labelling/{datasetId}"), ("admin-evaluations", $"/Admin/Evaluations?datasetId={datasetId}"),
            ("admin-training", "/Admin/Training"), ("admin-models", "/Admin/Models"),
            ("browse-uniqueness", $"/Datasets/Browse/{datasetId}?sort=Uniqueness"), ("review-flagged", $"/Review/Queue/{datasetId}?queue=flagged"),
            ("admin-dataset-delete", $"/Admin/Datasets/Delete/{datasetId}"), ("admin-model-delete", $"/Admin/Models/Delete/{model.Id}"),
        ];
        var problems = new List<string>();
        foreach (var (name, path) in pages)
        {
            var response = await Page.GotoAsync(path);
            await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var sideways = await Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            if (response is not { Status: < 400 } || sideways > 0)
            {
                problems.Add($"{path}: status {response?.Status}, {sideways} px sideways scroll");
            }

            await ScreenshotAsync($"gallery-{name}");
        }

        Assert.Empty(problems);
        Assert.Empty(PageErrors);
    });
}
