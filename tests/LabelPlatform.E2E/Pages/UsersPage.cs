using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Admin/Users: the accounts table (roles, disable/enable, reset, delete) and the one-time password after a reset.</summary>
public sealed class UsersPage(IPage page)
{
    public ILocator OneTimePassword => page.Locator("#one-time-password [data-password]");
    public ILocator Flash => page.Locator(".flash");

    public async Task GotoAsync() => await page.GotoAsync("/Admin/Users");

    public ILocator Row(string email) => page.Locator($"#users tr[data-email=\"{email}\"]");

    /// <summary>Clicks the row's reset button and accepts the confirmation the page asks for.</summary>
    public async Task ResetPasswordAsync(string email)
    {
        page.Dialog += AcceptOnce;
        await Row(email).GetByRole(AriaRole.Button, new() { Name = "Reset password", Exact = true }).ClickAsync();
    }

    public Task DeleteLinkAsync(string email) => Row(email).GetByRole(AriaRole.Link, new() { Name = "Delete…", Exact = true }).ClickAsync();

    private async void AcceptOnce(object? sender, IDialog dialog)
    {
        page.Dialog -= AcceptOnce;
        await dialog.AcceptAsync();
    }
}
