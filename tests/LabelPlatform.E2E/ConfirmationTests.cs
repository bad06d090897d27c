using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace LabelPlatform.E2E;

/// <summary>
/// A destructive action asks first: with script a dialog, and dismissing it does nothing; without script a required
/// checkbox stops the form until it is ticked.
/// </summary>
public sealed class ConfirmationTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private readonly BrowserFixture _fixture = fixture; // a second, script-free browser context

    [Fact]
    public Task Revoking_a_token_asks_in_a_dialog_and_dismissing_it_changes_nothing() => RunAsync(async () =>
    {
        await new LoginPage(Page).GotoAsync();
        await new LoginPage(Page).SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        var tokens = new ApiTokensPage(Page);
        var name = $"confirm-{Guid.NewGuid():N}"[..16];
        await tokens.GotoAsync();
        await tokens.CreateAsync(name);
        var dialogs = new List<string>();
        var accept = false;
        Page.Dialog += async (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            if (accept) { await dialog.AcceptAsync(); } else { await dialog.DismissAsync(); }
        };

        await tokens.RevokeButton(name).ClickAsync();
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        var asked = Assert.Single(dialogs);
        Assert.Contains($"Revoke the token {name}", asked, StringComparison.Ordinal);
        await Assertions.Expect(tokens.Status(name)).ToHaveTextAsync("active");
        await Page.ReloadAsync();
        await Assertions.Expect(tokens.Status(name)).ToHaveTextAsync("active");

        accept = true;
        await tokens.RevokeButton(name).ClickAsync();
        await Assertions.Expect(tokens.Status(name)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^revoked"));
        Assert.Equal(2, dialogs.Count);
    });

    [Fact]
    public Task Without_script_the_confirm_box_must_be_ticked() => RunAsync(async () =>
    {
        await using var context = await _fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            JavaScriptEnabled = false,
        });
        context.SetDefaultTimeout(DefaultTimeoutMs);
        var page = await context.NewPageAsync();
        await new LoginPage(page).GotoAsync();
        await new LoginPage(page).SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        var tokens = new ApiTokensPage(page);
        var name = $"noscript-{Guid.NewGuid():N}"[..16];
        await tokens.GotoAsync();
        await tokens.CreateAsync(name);

        await tokens.RevokeButton(name).ClickAsync(); // the browser refuses: the required box is not ticked
        await page.GotoAsync("/Admin/ApiTokens");
        await Assertions.Expect(tokens.Status(name)).ToHaveTextAsync("active");

        await tokens.ConfirmBox(name).CheckAsync();
        await tokens.RevokeButton(name).ClickAsync();
        await Assertions.Expect(tokens.Status(name)).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^revoked"));
    });
}
