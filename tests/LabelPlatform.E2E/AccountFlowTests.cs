using LabelPlatform.Core.Identity;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>
/// Accounts in Chromium: an admin resets a labeller's password (after a confirmation) and reads the one-time password
/// once; the labeller signs in with it and chooses their own; the admin deletes the account after typing its email.
/// </summary>
public sealed class AccountFlowTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    [Fact]
    public Task An_admin_resets_a_password_the_user_changes_it_and_the_admin_deletes_the_account() => RunAsync(async () =>
    {
        var email = $"acct-{Guid.NewGuid():N}"[..13] + "@e2e.local";
        await Server.CreateUserAsync(email, Roles.Labeller);
        await Page.SetViewportSizeAsync(1280, 800);
        var login = new LoginPage(Page);
        await login.GotoAsync();
        await login.SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);

        var users = new UsersPage(Page);
        await users.GotoAsync();
        await users.ResetPasswordAsync(email);
        await Expect(users.OneTimePassword).ToBeVisibleAsync();
        var oneTime = await users.OneTimePassword.InnerTextAsync();
        await ScreenshotAsync("admin-users-reset");
        await users.GotoAsync();
        await Expect(users.OneTimePassword).ToHaveCountAsync(0);

        // The labeller, in a context of their own: the one-time password, then one they choose.
        var context = await Page.Context.Browser!.NewContextAsync(new() { BaseURL = Server.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 800 } });
        var own = await context.NewPageAsync();
        await new LoginPage(own).GotoAsync();
        await new LoginPage(own).SignInAsync(email, oneTime);
        await own.GotoAsync("/Account/Password");
        await own.GetByLabel("Current password").FillAsync(oneTime);
        await own.GetByLabel("New password", new() { Exact = true }).FillAsync("Chosen-Passw0rd!");
        await own.GetByLabel("New password again").FillAsync("Chosen-Passw0rd!");
        await Artifacts.ScreenshotAsync(own, "account-password");
        await own.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(own.Locator(".flash")).ToContainTextAsync("Password changed");

        // The admin deletes the account; the labeller's next request finds no session.
        await users.DeleteLinkAsync(email);
        await Expect(Page.Locator("#delete-effects")).ToContainTextAsync("stay, attributed to its user id");
        await ScreenshotAsync("admin-users-delete");
        await Page.GetByLabel("Email of the account to delete").FillAsync(email);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Delete this account" }).ClickAsync();
        await Expect(users.Flash).ToContainTextAsync($"{email} deleted");
        await Expect(users.Row(email)).ToHaveCountAsync(0);
        await own.GotoAsync("/Label");
        await Expect(own).ToHaveURLAsync(LoginPage.UrlPattern());
        await context.DisposeAsync();
        Assert.Empty(PageErrors);
    });
}
