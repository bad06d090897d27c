using LabelPlatform.Testing;
using System.Text.RegularExpressions;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>The admin's main path through the UI: sign in, create a dataset, import a folder, watch the job, browse.</summary>
public sealed class AdminFlowTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    /// <summary>A 16-file import takes a second or two; the slack is for a loaded CI machine, not for the happy path.</summary>
    private const float JobTimeoutMs = 45_000;

    [Fact]
    public Task Admin_creates_dataset_imports_folder_watches_job_and_browses_images() => RunAsync(async () =>
    {
        using var sample = SampleFolder.Create(["accordion", "airplanes", "anchor"], imagesPerClass: 5);
        var name = $"e2e-{Guid.NewGuid():N}"[..12];

        var login = await new LoginPage(Page).GotoAsync();
        await login.SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);

        var datasets = new DatasetsPage(Page);
        await datasets.GotoAsync();
        var create = await datasets.StartNewDatasetAsync();
        await Expect(create.Heading).ToBeVisibleAsync();
        var import = await create.CreateAsync(name, "Three Caltech 101 classes and one broken file");
        await Expect(import.Heading).ToHaveTextAsync($"Import images into {name}");
        await Expect(import.Flash).ToContainTextAsync($"Dataset {name} created");

        var job = await import.ImportFolderAsync(sample.Root);
        Output.WriteLine($"Job page opened at {Page.Url} showing {await job.State.InnerTextAsync()} {await job.Percent.InnerTextAsync()}");
        await job.WaitUntilFinishedAsync(JobTimeoutMs);
        await Expect(job.State).ToHaveTextAsync("Succeeded");
        await Expect(job.Percent).ToHaveTextAsync("100%");
        await Expect(job.Bar).ToHaveAttributeAsync("style", new Regex(@"width:\s*100%"));
        var total = sample.ImageCount + 1;
        await Expect(job.Counts).ToHaveTextAsync($"{total}/{total}");
        await Expect(job.Accepted).ToHaveTextAsync(sample.ImageCount.ToString());
        await Expect(job.Duplicates).ToHaveTextAsync("0");
        await Expect(job.Failed).ToHaveTextAsync("1");
        await Expect(job.Error).ToBeEmptyAsync();
        await Expect(job.Message).ToContainTextAsync("1 rejected");
        // Start/finish times and item errors are server-rendered; they must not stay stale after a live finish.
        await job.WaitForFinishedFactsAsync();
        await Expect(job.ItemErrorRow(sample.BrokenOrigin)).ToContainTextAsync("not an image");
        await ScreenshotAsync("admin-flow-job");

        var details = await job.OpenDatasetAsync(name);
        await Expect(details.Heading).ToHaveTextAsync(name);
        await Expect(details.ImageCount).ToHaveTextAsync(sample.ImageCount.ToString());
        await Expect(details.Thumbnails).ToHaveCountAsync(sample.ImageCount);
        Assert.Equal(sample.Classes.Keys.Order(StringComparer.Ordinal), await details.ClassNamesAsync());
        foreach (var (className, count) in sample.Classes)
        {
            await Expect(details.ClassCount(className)).ToHaveTextAsync(count.ToString());
        }

        var rejected = details.RejectedRow(sample.BrokenOrigin);
        await Expect(rejected).ToHaveCountAsync(1);
        await Expect(rejected).ToContainTextAsync("not an image");

        var broken = await details.BrokenThumbnailsAsync();
        Assert.True(broken.Count == 0, $"Thumbnails that did not load: {string.Join(", ", broken)}");
        await ScreenshotAsync("admin-flow-dataset");

        Assert.True(PageErrors.Count == 0, $"Script errors on the pages: {string.Join(" | ", PageErrors)}");
    });
}
