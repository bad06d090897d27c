using System.Text.RegularExpressions;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>The admin's path to embeddings: register a built-in model, import a folder, compute, see the counts.</summary>
public sealed class EmbeddingFlowTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    /// <summary>Registering ResNet18 loads a 63 MB model (about a second here); the slack is for a loaded CI machine.</summary>
    private const float RegisterTimeoutMs = 45_000;

    /// <summary>An import or an embed run of a handful of images takes a second or two.</summary>
    private const float JobTimeoutMs = 45_000;

    private const string Model = "resnet18";

    [Fact]
    public Task Admin_registers_resnet18_and_computes_embeddings_for_a_dataset() => RunAsync(async () =>
    {
        using var sample = SampleFolder.Create(["accordion", "anchor"], imagesPerClass: 3);
        var name = $"e2e-{Guid.NewGuid():N}"[..12];
        var login = await new LoginPage(Page).GotoAsync();
        await login.SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);

        var models = await new ModelsPage(Page).OpenFromNavAsync();
        await Expect(models.Heading).ToBeVisibleAsync();
        await Expect(models.BuiltIn(Model)).ToBeVisibleAsync();
        // A refused registration comes back with the reason and the form as typed; nothing is listed.
        await models.RegisterFromPathAsync("mnv2", "no_such_tensor", SharedPaths.MobileNetV2);
        await Expect(models.Errors).ToContainTextAsync("tensor 'no_such_tensor' is not in the model", new() { Timeout = RegisterTimeoutMs });
        await Expect(models.Tensor).ToHaveValueAsync("no_such_tensor");
        await Expect(models.Table).ToHaveCountAsync(0);
        await ScreenshotAsync("embeddings-models-refused");
        await models.RegisterBuiltInAsync(Model, RegisterTimeoutMs);
        await Expect(models.Flash).ToContainTextAsync($"Registered {Model} v1: 512-d vectors");
        await Expect(models.Dimension(Model)).ToHaveTextAsync("512");
        await Expect(models.Version(Model)).ToHaveTextAsync("v1");
        await Expect(models.BuiltIn(Model)).ToHaveCountAsync(0);
        await Expect(models.Errors).ToHaveCountAsync(0);
        await ScreenshotAsync("embeddings-models");

        var datasets = new DatasetsPage(Page);
        await datasets.GotoAsync();
        var import = await (await datasets.StartNewDatasetAsync()).CreateAsync(name, "Two Caltech 101 classes to embed");
        var importJob = await import.ImportFolderAsync(sample.Root);
        await importJob.WaitUntilFinishedAsync(JobTimeoutMs);
        await Expect(importJob.State).ToHaveTextAsync("Succeeded");

        var details = await importJob.OpenDatasetAsync(name);
        await Expect(details.ImageCount).ToHaveTextAsync(sample.ImageCount.ToString());
        await Expect(details.EmbeddedCount(Model, 1)).ToHaveTextAsync($"0 / {sample.ImageCount}");
        await ScreenshotAsync("embeddings-dataset-before");

        var job = await details.ComputeEmbeddingsAsync(Model, 1);
        await Expect(job.Heading).ToContainTextAsync("job run");
        await job.WaitUntilFinishedAsync(JobTimeoutMs);
        await Expect(job.State).ToHaveTextAsync("Succeeded");
        await Expect(job.Percent).ToHaveTextAsync("100%");
        await Expect(job.Bar).ToHaveAttributeAsync("style", new Regex(@"width:\s*100%"));
        await Expect(job.Counts).ToHaveTextAsync($"{sample.ImageCount}/{sample.ImageCount}");
        await Expect(job.Accepted).ToHaveTextAsync(sample.ImageCount.ToString());
        await Expect(job.Failed).ToHaveTextAsync("0");
        await job.WaitForFinishedFactsAsync();
        await ScreenshotAsync("embeddings-job");

        details = await job.OpenDatasetAsync(name);
        await Expect(details.EmbeddedCount(Model, 1)).ToHaveTextAsync($"{sample.ImageCount} / {sample.ImageCount}");
        await Expect(details.EmbeddingRow(Model, 1)).ToContainTextAsync("Complete");
        await Expect(details.EmbeddingRow(Model, 1).GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        await ScreenshotAsync("embeddings-dataset");

        Assert.True(PageErrors.Count == 0, $"Script errors on the pages: {string.Join(" | ", PageErrors)}");
    });
}
