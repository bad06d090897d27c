using Microsoft.Playwright;

namespace LabelPlatform.E2E.Pages;

/// <summary>The layout's top bar: main links, the Admin menu, Sign out, and the Menu button under the breakpoint.</summary>
public sealed class TopBar(IPage page)
{
    public ILocator MenuButton => page.Locator("#menu-toggle");
    public ILocator SignOut => page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true });
    public ILocator AdminMenu => page.Locator("#admin-menu > summary");

    /// <summary>Opens the Menu when the bar is folded (narrow windows); Sign out is then on screen.</summary>
    public async Task RevealSignOutAsync()
    {
        if (await MenuButton.IsVisibleAsync() && await MenuButton.GetAttributeAsync("aria-expanded") != "true")
        {
            await MenuButton.ClickAsync();
        }

        await Assertions.Expect(SignOut).ToBeVisibleAsync();
    }

    /// <summary>Opens the Admin drop-down (unfolding the bar first on narrow windows) so its links can be clicked.</summary>
    public async Task OpenAdminMenuAsync()
    {
        if (await MenuButton.IsVisibleAsync() && await MenuButton.GetAttributeAsync("aria-expanded") != "true")
        {
            await MenuButton.ClickAsync();
        }

        if (await page.Locator("#admin-menu").GetAttributeAsync("open") is null)
        {
            await AdminMenu.ClickAsync();
        }
    }

    /// <summary>Whether <paramref name="locator"/>'s box lies inside the viewport's width (not pushed off to the right).</summary>
    public async Task<bool> IsWithinViewportAsync(ILocator locator)
    {
        var box = await locator.BoundingBoxAsync();
        var width = page.ViewportSize?.Width ?? 0;
        return box is not null && box.X >= 0 && box.X + box.Width <= width + 0.5;
    }

    /// <summary>document scroll width minus client width: above 0 the page scrolls sideways.</summary>
    public Task<int> SidewaysOverflowAsync() =>
        page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
}
