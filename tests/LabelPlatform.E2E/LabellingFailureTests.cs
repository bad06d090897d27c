using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>A label the server refuses is never silently dropped: the page stops with the reason, and a reload brings the image back.</summary>
public sealed class LabellingFailureTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    [Fact]
    public Task A_refused_label_stops_the_page_and_the_image_comes_back_after_a_reload() => RunAsync(async () =>
    {
        var datasetId = await ImportAsync();
        var email = $"lf-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        await Server.CreateUserAsync(email, Roles.Labeller);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(email, PlatformFactory.UserPassword);
        var work = new LabelWorkPage(Page);
        await work.GotoAsync(datasetId);
        var (first, _) = await work.WaitForImageAsync(null);

        // The server refuses the label (as it would for a class deleted meanwhile or an expired sign-in).
        await Page.RouteAsync("**/submit", route => route.FulfillAsync(new()
        {
            Status = 409, ContentType = "application/problem+json",
            Body = JsonSerializer.Serialize(new { status = 409, detail = "a class of this submission was deleted meanwhile: reload the page" }),
        }));
        await Page.Keyboard.PressAsync("1");
        await Expect(work.Error).ToContainTextAsync("Not saved: a class of this submission was deleted meanwhile");
        await Expect(work.Status).ToHaveAttributeAsync("data-labelled", "0");
        var (shown, _) = await work.WaitForImageAsync(first);
        // Stopped: further keys neither label nor move on (2 labels, Space skips).
        await Page.Keyboard.PressAsync("2");
        await Page.Keyboard.PressAsync(" ");
        await Expect(work.Status).ToHaveAttributeAsync("data-pending", "0");
        await Expect(work.Image).ToHaveAttributeAsync("data-image-id", shown.ToString());
        await Expect(work.Status).ToHaveAttributeAsync("data-labelled", "0");
        await ScreenshotAsync("label-refused");

        // Nothing was stored, and the refused image is still this labeller's: it is the first one after a reload.
        await Page.UnrouteAsync("**/submit");
        await Page.Locator("#bench-error a").ClickAsync();
        await Expect(work.Image).ToHaveAttributeAsync("data-image-id", first.ToString());
        using var scope = Server.Services.CreateScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().LabelEvents.CountAsync(e => e.DatasetId == datasetId));
        Assert.Empty(PageErrors);
    });

    [Fact]
    public Task Keys_pressed_while_the_next_image_loads_never_label_the_last_one_again() => RunAsync(async () =>
    {
        var datasetId = await ImportAsync();
        var email = $"lk-{Guid.NewGuid():N}"[..12] + "@e2e.local";
        await Server.CreateUserAsync(email, Roles.Labeller);
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(email, PlatformFactory.UserPassword);
        var work = new LabelWorkPage(Page);
        await work.GotoAsync(datasetId);
        await work.WaitForImageAsync(null);

        // From now on the server is slow to hand out images: the page runs out of prefetched ones and has to wait.
        await Page.RouteAsync("**/next**", async route =>
        {
            await Task.Delay(1500);
            await route.ContinueAsync();
        });
        for (var i = 0; i < 8; i++)
        {
            await Page.Keyboard.PressAsync("1");
        }

        await Expect(work.Status).ToHaveAttributeAsync("data-pending", "0");
        await ScreenshotAsync("label-fast-keys");
        using var scope = Server.Services.CreateScope();
        var events = await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().LabelEvents.Where(e => e.DatasetId == datasetId).Select(e => e.ImageId).ToListAsync();
        // Every key that acted labelled a different image: none twice, and what the page counted is what was stored.
        Assert.NotEmpty(events);
        Assert.Equal(events.Count, events.Distinct().Count());
        Assert.Equal(events.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), await work.Status.GetAttributeAsync("data-saved"));
        Assert.Empty(PageErrors);
    });

    /// <summary>Two Caltech classes of three images, imported as they are (no embeddings: no suggestions needed here).</summary>
    private async Task<int> ImportAsync() => (await Server.ImportCaltechAsync("refuse", ["accordion", "barrel"], 3)).DatasetId;
}
