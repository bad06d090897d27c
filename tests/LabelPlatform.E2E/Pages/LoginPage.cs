using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Account/Login: the sign-in form.</summary>
public sealed partial class LoginPage(IPage page)
{
    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Name = "Sign in", Exact = true });
    public ILocator Email => page.GetByLabel("Email", new() { Exact = true });
    public ILocator Password => page.GetByLabel("Password", new() { Exact = true });
    public ILocator SubmitButton => page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true });

    /// <summary>The layout's sign-out button: present only for a signed-in user.</summary>
    public ILocator SignOutButton => page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true });

    /// <summary>Matches the login URL, with or without a ReturnUrl.</summary>
    [GeneratedRegex(@"/Account/Login(\?|$)", RegexOptions.IgnoreCase)]
    public static partial Regex UrlPattern();

    public async Task<LoginPage> GotoAsync()
    {
        await page.GotoAsync("/Account/Login");
        return this;
    }

    /// <summary>Submits the form and waits until the page after it shows a signed-in user.</summary>
    public async Task SignInAsync(string email, string password)
    {
        await Email.FillAsync(email);
        await Password.FillAsync(password);
        await SubmitButton.ClickAsync();
        // A web-first wait on what the next page shows, not WaitForURL: that one also waits for a "load" event, which
        // it can miss when the redirect has already completed (seen as a 15 s timeout on a fully loaded page).
        await Assertions.Expect(SignOutButton).ToBeVisibleAsync();
        await Assertions.Expect(page).Not.ToHaveURLAsync(UrlPattern());
    }
}
