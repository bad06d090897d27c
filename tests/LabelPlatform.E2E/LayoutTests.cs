using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LabelPlatform.E2E;

/// <summary>
/// Every main page at 1280x800 and 1024x768: no sideways scroll and Sign out on screen (through the Menu button where
/// the bar folds); at 390 px the bar folds behind the Menu button and the content keeps its width.
/// </summary>
public sealed class LayoutTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private static readonly string[] NarrowPages = ["/", "/Datasets", "/Admin/Jobs", "/Admin/Models"];

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(1024, 768)]
    public Task Every_main_page_fits_the_window_and_sign_out_is_reachable(int width, int height) => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("layout", ["accordion", "anchor"], 3);
        long imageId, runId;
        using (var scope = Server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            imageId = await db.Images.Where(i => i.DatasetId == datasetId).Select(i => i.Id).FirstAsync();
            runId = await db.JobRuns.Where(j => j.DatasetId == datasetId && j.Kind == JobKinds.Import).Select(j => j.Id).FirstAsync();
        }

        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        await Page.SetViewportSizeAsync(width, height);
        var bar = new TopBar(Page);
        string[] pages =
        [
            "/", "/Datasets", $"/Datasets/Details/{datasetId}", $"/Images/Details/{imageId}", "/Label", $"/Label/Work/{datasetId}",
            $"/Label/Grid/{datasetId}", "/Review", $"/Review/Queue/{datasetId}", $"/Review/Agreement/{datasetId}", "/Evaluation",
            $"/Search?DatasetId={datasetId}", "/Admin/Jobs", $"/Admin/Jobs/Details/{runId}", "/Admin/Crawls", "/Admin/Models",
            "/Admin/Training", "/Admin/Users", "/Admin/ApiTokens", "/Admin/Evaluations", "/Admin/Datasets/Create",
            $"/Admin/Datasets/Import?DatasetId={datasetId}", $"/Admin/Datasets/Labelling/{datasetId}",
        ];
        var problems = new List<string>();
        foreach (var path in pages)
        {
            var response = await Page.GotoAsync(path);
            Assert.True(response is { Status: < 400 }, $"{path} answered {response?.Status}");
            await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            if (width == 1280)
            {
                await ScreenshotAsync($"layout-{width}-{path.Trim('/').Replace('/', '-').Replace('?', '-')}");
            }

            if (await bar.SidewaysOverflowAsync() is > 0 and var overflow)
            {
                problems.Add($"{path}: {overflow} px sideways scroll");
            }

            await bar.RevealSignOutAsync();
            if (!await bar.IsWithinViewportAsync(bar.SignOut))
            {
                problems.Add($"{path}: Sign out is off screen");
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task At_390_px_the_bar_folds_behind_a_menu_button_and_the_page_keeps_its_width() => RunAsync(async () =>
    {
        // Signed in at the default size (the sign-in helper waits for Sign out to show), then narrowed.
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        await Page.SetViewportSizeAsync(390, 844);
        var bar = new TopBar(Page);
        await Page.GotoAsync("/");

        await Assertions.Expect(bar.MenuButton).ToBeVisibleAsync();
        await Assertions.Expect(bar.SignOut).ToBeHiddenAsync();
        await bar.MenuButton.ClickAsync();
        await Assertions.Expect(bar.SignOut).ToBeVisibleAsync();
        Assert.True(await bar.IsWithinViewportAsync(bar.SignOut), "Sign out is off screen in the open menu");
        await bar.AdminMenu.ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Link, new() { Name = "Jobs", Exact = true })).ToBeVisibleAsync();
        await ScreenshotAsync("layout-390-menu-open");
        await Page.Keyboard.PressAsync("Escape");
        await Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(bar.SignOut).ToBeHiddenAsync();

        foreach (var path in NarrowPages)
        {
            await Page.GotoAsync(path);
            Assert.True(await bar.SidewaysOverflowAsync() <= 0, $"{path} scrolls sideways at 390 px");
            var main = await Page.Locator("main.page").BoundingBoxAsync();
            Assert.True(main is { Width: >= 360 }, $"{path}: the content is {main?.Width} px wide");
        }
    });
}
