using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>A dataset admin gives a class a hotkey on the labelling settings page; the key then labels with that class.</summary>
public sealed class LabellingHotkeyTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private static readonly string[] Classes = ["accordion", "barrel"];

    [Fact]
    public Task An_admin_sets_a_class_hotkey_and_it_labels_with_that_class() => RunAsync(async () =>
    {
        var (datasetId, _) = await Server.ImportCaltechAsync("hotkey", Classes, 2);
        var barrel = (await Server.Services.GetRequiredService<DatasetService>().FindClassIdAsync(datasetId, "barrel"))!.Value;
        await (await new LoginPage(Page).GotoAsync()).SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);

        await Page.GotoAsync($"/Admin/Datasets/Labelling/{datasetId}");
        await Page.Locator("#Edit_ClassId").SelectOptionAsync(barrel.ToString());
        await Page.Locator("#Edit_Hotkey").FillAsync("f4");
        await Page.Locator("#set-hotkey").ClickAsync();
        await Expect(Page.GetByRole(Microsoft.Playwright.AriaRole.Status)).ToContainTextAsync("F4 now picks 'barrel'");
        await Expect(Page.Locator("#existing-classes")).ToContainTextAsync("F4");

        var work = new LabelWorkPage(Page);
        await work.GotoAsync(datasetId);
        var (id, _) = await work.WaitForImageAsync(null);
        await Expect(Page.Locator("#class-list")).ToContainTextAsync("F4");
        await Page.Keyboard.PressAsync("F4");
        await work.WaitForImageAsync(id);
        await work.WaitUntilSavedAsync(1);

        using var scope = Server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var label = await db.LabelEvents.SingleAsync(e => e.DatasetId == datasetId);
        Assert.Equal((id, LabelEventKind.Label, (int?)barrel), (label.ImageId, label.Kind, label.ClassId));
        Assert.Empty(PageErrors);
    });
}
