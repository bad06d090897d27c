using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using ReviewDesk = LabelPlatform.Core.Review.ReviewDesk;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>
/// Issue 13, defect 7: review lists stopped at "the first 50". With more images than a page holds, a reviewer walks
/// the pager in Chromium and reaches every image of the queue exactly once.
/// </summary>
public sealed class ReviewPagingTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private const int PerClass = 21; // 63 images: more than one page of ReviewDesk.PageSize

    [Fact]
    public Task A_reviewer_pages_through_a_queue_longer_than_one_page_and_reaches_every_image() => RunAsync(async () =>
    {
        var (datasetId, images) = await PrepareSplitVotesAsync();
        var reviewer = $"rp-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        await Server.CreateUserAsync(reviewer, Roles.Reviewer);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(reviewer, PlatformFactory.UserPassword);

        var queue = new ReviewQueuePage(Page);
        await queue.GotoAsync(datasetId);
        await Expect(queue.Count).ToHaveAttributeAsync("data-total", images.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(queue.Pager).ToContainTextAsync("Page 1 of 2");
        var seen = await ItemIdsAsync();
        Assert.Equal(ReviewDesk.PageSize, seen.Count);

        await queue.Pager.Locator("a[rel=next]").ClickAsync();
        await Expect(queue.Pager).ToContainTextAsync("Page 2 of 2");
        var second = await ItemIdsAsync();
        Assert.Equal(images.Count - ReviewDesk.PageSize, second.Count);
        await Expect(queue.Pager.Locator("a[rel=next]")).ToHaveCountAsync(0);

        Assert.Empty(seen.Intersect(second));
        Assert.Equal(images.Order(), seen.Concat(second).Order());
        Assert.Empty(PageErrors);
    });

    private async Task<List<long>> ItemIdsAsync()
    {
        var ids = await Page.Locator(".review-item").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.imageId)");
        return [.. ids.Select(id => long.Parse(id, System.Globalization.CultureInfo.InvariantCulture))];
    }

    /// <summary>Three classes of <see cref="PerClass"/> images, overlap 2, and two labellers who disagree on every one: all in the no-consensus queue.</summary>
    private async Task<(int DatasetId, List<long> Images)> PrepareSplitVotesAsync()
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("paging", ["accordion", "airplanes", "barrel"], PerClass);
        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var classIds = await db.ImageClasses.Where(c => c.DatasetId == datasetId).OrderBy(c => c.Id).Select(c => c.Id).ToListAsync();
        var images = await db.Images.Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync();
        await Server.Services.GetRequiredService<LabellingSettingsService>().SaveSettingsAsync(datasetId, 2, 120, null, "e2e");
        var submissions = Server.Services.GetRequiredService<LabelSubmissions>();
        foreach (var (user, classId) in new[] { ("p1", classIds[0]), ("p2", classIds[1]) })
        {
            await submissions.SubmitAsync(new SubmitRequest(datasetId, user, $"paging-{user}-{datasetId}", "single", [.. images.Select(id => new LabelItem(id, LabelEventKind.Label, classId))]));
        }

        return (datasetId, images);
    }
}
