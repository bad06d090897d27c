using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>/Error: the friendly status-code page (re-executed in place, so the URL stays the refused one).</summary>
public sealed class ErrorPage(IPage page)
{
    public const string AccessDeniedTitle = "Access denied";

    public ILocator Heading => page.GetByRole(AriaRole.Heading, new() { Level = 1 });
    public ILocator AccessDeniedHeading => page.GetByRole(AriaRole.Heading, new() { Name = AccessDeniedTitle, Exact = true });
    public ILocator Explanation => page.Locator("main p").First;
}
