using System.Text.RegularExpressions;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Jobs;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>
/// What a labeller sees must not hand them the answer (issue 13, defects 2 and 5): the queue is not in folder order,
/// neither the folder nor a file name naming a class is shown, suggestions never echo import labels, and a mistyped
/// noise class is refused at import instead of turning the noise folder into a class.
/// </summary>
public sealed class BlindLabellingTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private const int PerClass = 3;
    private static readonly string[] Revealing = ["anchor", "sunflower", "elephant"];
    private static readonly string[] NoiseFolders = ["BACKGROUND_Google", "ant"];

    [Fact]
    public Task A_labellers_first_50_Caltech_images_span_30_classes_and_show_no_import_label() => RunAsync(async () =>
    {
        // Every Caltech 101 folder, three images each, stored folder by folder; in three folders the files are named
        // after the class ("anchor_01.jpg"), as many real collections are.
        var (datasetId, classOf) = await ImportAllClassesAsync();
        await Server.EmbedAsync(datasetId, "mobilenetv2");
        var email = $"blind-{Guid.NewGuid():N}"[..14] + "@e2e.local";
        await Server.CreateUserAsync(email, Roles.Labeller);
        await (await new LoginPage(Page).GotoAsync()).SignInAsync(email, PlatformFactory.UserPassword);

        await Page.GotoAsync($"/Label/Work/{datasetId}");
        var seen = new List<long>();
        var image = Page.Locator("#current-image");
        for (var i = 0; i < 50; i++)
        {
            await Expect(image).ToBeVisibleAsync();
            await Expect(image).Not.ToHaveAttributeAsync("data-image-id", seen.Count > 0 ? seen[^1].ToString() : "none");
            var id = long.Parse((await image.GetAttributeAsync("data-image-id"))!);
            var shown = string.Join(" | ", await Page.Locator("#source-hint, #source-text, #suggestions").AllInnerTextsAsync());
            var own = classOf[id];
            // Neither its class nor its folder name, in any case, anywhere the page describes the image.
            Assert.DoesNotMatch(new Regex($@"(?<![A-Za-z]){Regex.Escape(own)}(?![A-Za-z])", RegexOptions.IgnoreCase), shown);
            Assert.DoesNotContain("/", shown.Replace("×", "x", StringComparison.Ordinal), StringComparison.Ordinal);
            // No human labels exist yet, so there is nothing to suggest: import labels are not used.
            await Expect(Page.Locator("#suggestions button")).ToHaveCountAsync(0);
            seen.Add(id);
            await Page.Locator("button[data-action=skip]").ClickAsync();
        }

        var classes = seen.Select(id => classOf[id]).Distinct().Count();
        Assert.True(classes >= 30, $"the first 50 images span only {classes} classes");
        Assert.NotEqual(seen.Order(), seen);
        Assert.True(seen.Zip(seen.Skip(1)).Count(p => classOf[p.First] == classOf[p.Second]) <= 2, "images of one class came in a row");
        Assert.Empty(PageErrors);
        await ScreenshotAsync("label-blind");
    });

    [Fact]
    public Task A_mistyped_noise_class_is_refused_at_import_and_nothing_is_imported() => RunAsync(async () =>
    {
        var folder = Path.Combine(Server.DataDirectory, $"noise-{Guid.NewGuid():N}");
        foreach (var name in NoiseFolders)
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            foreach (var file in Directory.GetFiles(Path.Combine(SharedPaths.Caltech, name)).Order(StringComparer.Ordinal).Take(2))
            {
                File.Copy(file, Path.Combine(folder, name, Path.GetFileName(file)));
            }
        }

        var dataset = await Server.Services.GetRequiredService<DatasetService>().GetOrCreateAsync($"noise-{Guid.NewGuid():N}"[..18], null, "e2e");
        await (await new LoginPage(Page).GotoAsync()).SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        await Page.GotoAsync($"/Admin/Datasets/Import?datasetId={dataset.Id}");
        var import = new ImportPage(Page);
        await import.FolderPath.FillAsync(folder);
        await import.NoiseClass.FillAsync("background");
        await import.ImportFolderButton.ClickAsync();

        await Expect(Page.Locator("#noise-class-error")).ToContainTextAsync("'background' is not a folder of this import");
        await Expect(Page.Locator("#noise-class-error")).ToContainTextAsync("did you mean 'BACKGROUND_Google'?");
        await ScreenshotAsync("import-noise-class-refused");
        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        Assert.Equal(0, await db.Images.CountAsync(i => i.DatasetId == dataset.Id));
        Assert.Equal(0, await db.ImageClasses.CountAsync(c => c.DatasetId == dataset.Id));
        Assert.Equal(0, await db.JobRuns.CountAsync(r => r.DatasetId == dataset.Id));
    });

    private async Task<(int DatasetId, Dictionary<long, string> ClassOf)> ImportAllClassesAsync()
    {
        var folder = Path.Combine(Server.DataDirectory, $"all-classes-{Guid.NewGuid():N}");
        var classNames = Directory.GetDirectories(SharedPaths.Caltech).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList();
        foreach (var name in classNames)
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            var files = Directory.GetFiles(Path.Combine(SharedPaths.Caltech, name)).Order(StringComparer.Ordinal).Take(PerClass).ToList();
            for (var i = 0; i < files.Count; i++)
            {
                var target = Revealing.Contains(name) ? $"{name}_{i + 1:D2}.jpg" : Path.GetFileName(files[i]);
                File.Copy(files[i], Path.Combine(folder, name, target));
            }
        }

        var dataset = await Server.Services.GetRequiredService<DatasetService>().GetOrCreateAsync($"blind-{Guid.NewGuid():N}"[..18], null, "e2e");
        var run = await Server.Services.GetRequiredService<JobRunService>().CreateAsync(JobKinds.Import, dataset.Id,
            new ImportParameters { Source = ImportSources.Folder, Path = folder, NoiseClass = "BACKGROUND_Google" }, "e2e");
        await Server.Services.GetRequiredService<ImportDatasetJob>().ImportAsync(run.Id, CancellationToken.None);
        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var classOf = await db.Images.Where(i => i.DatasetId == dataset.Id).Select(i => new { i.Id, Class = i.SourceClass!.Name }).ToDictionaryAsync(i => i.Id, i => i.Class);
        return (dataset.Id, classOf);
    }
}
