using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Admin/ApiTokens: the token list (with Revoke) and the form creating one.</summary>
public sealed class ApiTokensPage(IPage page)
{
    public async Task GotoAsync() => await page.GotoAsync("/Admin/ApiTokens");

    public async Task CreateAsync(string name)
    {
        await page.Locator("#create-token").GetByLabel("Name").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-token")).ToBeVisibleAsync();
    }

    private ILocator Row(string name) => page.Locator("#tokens tbody tr").Filter(new() { Has = page.GetByRole(AriaRole.Cell, new() { Name = name, Exact = true }) });

    public ILocator RevokeButton(string name) => Row(name).GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true });

    public ILocator ConfirmBox(string name) => Row(name).GetByRole(AriaRole.Checkbox);

    /// <summary>The status cell: "active" or "revoked …".</summary>
    public ILocator Status(string name) => Row(name).Locator("td").Nth(4);
}
