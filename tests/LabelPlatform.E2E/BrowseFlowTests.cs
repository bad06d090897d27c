using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>The data browser in Chromium: a reviewer filters by import label, selects three tiles and relabels them in one action.</summary>
public sealed class BrowseFlowTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    [Fact]
    public Task A_reviewer_filters_selects_three_tiles_and_relabels_them_in_one_action() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("browse", ["accordion", "airplanes", "barrel"], 6);
        var reviewer = $"br-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        await Server.CreateUserAsync(reviewer, Roles.Reviewer);
        await Page.SetViewportSizeAsync(1280, 800);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(reviewer, PlatformFactory.UserPassword);
        Dictionary<string, int> classIds;
        List<long> airplanes;
        using (var scope = Server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            classIds = await db.ImageClasses.Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Name, c => c.Id);
            airplanes = await db.Images.Where(i => i.DatasetId == datasetId && i.SourceClassId == classIds["airplanes"]).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync();
        }

        var browse = new BrowsePage(Page);
        await browse.GotoAsync(datasetId);
        await Expect(browse.Tiles).ToHaveCountAsync(18);
        await browse.FilterAsync("import", "airplanes");
        await Expect(browse.Tiles).ToHaveCountAsync(6);
        Assert.Equal(airplanes, await browse.IdsAsync());

        var chosen = airplanes.Take(3).ToList();
        foreach (var id in chosen)
        {
            await browse.SelectAsync(id);
        }

        await Expect(browse.SelectedCount).ToHaveTextAsync("3 selected");
        await Expect(Page.Locator("#delete")).ToHaveAttributeAsync("data-confirm", new System.Text.RegularExpressions.Regex("^Delete 3 image\\(s\\) and their files"));
        await Expect(browse.Tile(chosen[0])).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("selected"));
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts.ScreenshotDirectory, "browse-1280x800.png") });
        await browse.RelabelAsync("barrel");

        await Expect(browse.Flash).ToContainTextAsync("3 image(s) relabelled");
        // Back on the same filtered view, with the new final labels on the tiles.
        await Expect(browse.Tiles).ToHaveCountAsync(6);
        await Expect(browse.Tile(chosen[0]).Locator("[data-field=final]")).ToHaveTextAsync("final: barrel");
        using (var scope = Server.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            var finals = await db.FinalLabels.Where(f => f.DatasetId == datasetId).ToListAsync();
            Assert.Equal(chosen, finals.Select(f => f.ImageId).Order());
            Assert.All(finals, f => Assert.Equal(classIds["barrel"], f.ClassId));
            Assert.Equal(3, await db.LabelEvents.CountAsync(e => e.DatasetId == datasetId && e.Kind == LabelEventKind.Review));
        }

        await browse.FilterAsync("final", "barrel");
        Assert.Equal(chosen, await browse.IdsAsync());
        Assert.Empty(PageErrors);
    });
}
