using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LabelPlatform.E2E;

/// <summary>
/// Stored-XSS bait in every field a user, a crawled page or an archive can fill (dataset description, class names,
/// file origins, alt text, page titles and URLs, display names, token names, job messages), rendered in Chromium on
/// every page that shows them: no dialog may open and the Content-Security-Policy may never have to block anything.
/// </summary>
public sealed class HostileContentTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private static readonly string[] Bait =
    [
        "<img src=x onerror=alert('xss-img')>",
        "\"><script>alert('xss-script')</script>",
        "'><svg onload=alert('xss-svg')>",
        "javascript:alert('xss-href')",
        "</script><script>alert('xss-close')</script>",
        "<iframe srcdoc=\"<script>parent.alert('xss-frame')</script>\">",
        "{{constructor.constructor('alert(1)')()}}",
        "<a href=\"javascript:alert('xss-link')\">click</a>",
    ];

    [Fact]
    public Task Bait_in_every_field_opens_no_dialog_on_any_page() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("xss", ["accordion"], 4);
        var (imageId, crawlId, runId) = await PlantBaitAsync(datasetId);
        var dialogs = new List<string>();
        var blocked = new List<string>();
        Page.Dialog += async (_, dialog) =>
        {
            dialogs.Add($"{Page.Url}: {dialog.Message}");
            await dialog.DismissAsync();
        };
        Page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                blocked.Add($"{Page.Url}: {message.Text}");
            }
        };

        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        string[] pages =
        [
            "/", "/Datasets", $"/Datasets/Details/{datasetId}", $"/Images/Details/{imageId}", $"/Label/Work/{datasetId}",
            $"/Label/Grid/{datasetId}", $"/Label/Grid/{datasetId}?seed={imageId}&count=10", $"/Review/Queue/{datasetId}",
            $"/Review/Queue/{datasetId}?queue=import", $"/Review/Queue/{datasetId}?queue=conflicts", $"/Review/Agreement/{datasetId}",
            $"/Search?DatasetId={datasetId}", "/Admin/Users", "/Admin/ApiTokens", "/Admin/Jobs", $"/Admin/Jobs/Details/{runId}",
            "/Admin/Crawls", $"/Admin/Crawls/Details/{crawlId}", $"/Admin/Datasets/Labelling/{datasetId}", $"/Admin/Datasets/Import?datasetId={datasetId}",
            "/Admin/Evaluations", $"/Admin/Evaluations?datasetId={datasetId}", "/Admin/Training", "/Admin/Models", "/hangfire",
        ];
        foreach (var path in pages)
        {
            var response = await Page.GotoAsync(path);
            Assert.True(response is { Status: < 500 }, $"{path} answered {response?.Status}");
            // Let lazy scripts (the labelling bench fetches and renders the next images) run against the bait.
            await Page.WaitForLoadStateAsync(Microsoft.Playwright.LoadState.NetworkIdle);
        }

        var report = HostileReport.Write("xss",
        [
            $"bait strings: {Bait.Length}",
            $"pages loaded: {pages.Length}",
            $"dialogs: {dialogs.Count}",
            $"content-security-policy blocks: {blocked.Count}",
            $"script errors: {PageErrors.Count}",
        ]);
        Output.WriteLine($"Counts in {report}");
        await ScreenshotAsync("hostile-content-label-work");
        Assert.Empty(dialogs);
        Assert.True(blocked.Count == 0, string.Join("\n", blocked));
        Assert.Empty(PageErrors);
    });

    private async Task<(long ImageId, int CrawlId, long RunId)> PlantBaitAsync(int datasetId)
    {
        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var dataset = await db.Datasets.SingleAsync(d => d.Id == datasetId);
        dataset.Description = string.Join(" ", Bait);
        var classes = Bait.Select((b, i) => new ImageClass { DatasetId = datasetId, Name = $"{b} #{i}", CreatedAt = DateTimeOffset.UtcNow }).ToList();
        db.ImageClasses.AddRange(classes);
        var crawl = new Crawl { DatasetId = datasetId, State = CrawlState.Completed, SettingsJson = "{\"seeds\":[\"http://example.test/\\\"><script>alert(1)</script>\"]}", Message = Bait[0], CreatedAt = DateTimeOffset.UtcNow };
        db.Crawls.Add(crawl);
        var run = new JobRun { Kind = JobKinds.Import, State = JobState.Failed, DatasetId = datasetId, Message = Bait[1], Error = Bait[2], CreatedAt = DateTimeOffset.UtcNow };
        db.JobRuns.Add(run);
        await db.SaveChangesAsync();

        var images = await db.Images.Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id).ToListAsync();
        for (var i = 0; i < images.Count; i++)
        {
            images[i].Origin = $"{Bait[i % Bait.Length]}/file{i}.jpg";
            images[i].SourceClassId = classes[i % classes.Count].Id;
            db.ImageProvenance.Add(new ImageProvenance
            {
                ImageId = images[i].Id, CrawlId = crawl.Id, PageUrl = $"http://example.test/{Uri.EscapeDataString(Bait[i % Bait.Length])}",
                ImageUrl = $"http://example.test/{i}.jpg", SourceHost = "example.test", AltText = Bait[(i + 1) % Bait.Length],
                PageTitle = Bait[(i + 2) % Bait.Length], RobotsDecision = "allowed", FetchedAt = DateTimeOffset.UtcNow,
            });
        }

        await db.SaveChangesAsync();
        await Server.CreateUserAsync($"xss-{Guid.NewGuid():N}@e2e.local", Roles.Labeller);
        var user = await db.Users.OrderByDescending(u => u.CreatedAt).FirstAsync();
        user.DisplayName = Bait[3];
        await db.SaveChangesAsync();
        await scope.ServiceProvider.GetRequiredService<ApiTokenService>().CreateAsync(Bait[4][..Math.Min(Bait[4].Length, 100)], user.Id, Bait[5]);
        return (images[0].Id, crawl.Id, run.Id);
    }
}
