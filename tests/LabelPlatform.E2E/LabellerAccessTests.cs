using LabelPlatform.Testing;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Identity;
using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>What a labeller and an anonymous visitor may and may not open, as a browser sees it.</summary>
public sealed class LabellerAccessTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    [Fact]
    public Task Labeller_can_open_datasets() => RunAsync(async () =>
    {
        await SignInAsLabellerAsync();

        var datasets = new DatasetsPage(Page);
        var response = await datasets.GotoAsync();

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        await Expect(datasets.Heading).ToBeVisibleAsync();
        // Creating datasets is an admin's job: the button must not be offered.
        await Expect(datasets.NewDatasetLink).ToHaveCountAsync(0);
    });

    [Theory]
    [InlineData("/Admin/Users")]
    [InlineData("/Admin/Jobs")]
    [InlineData("/hangfire")]
    public Task Labeller_is_refused_admin_pages_with_access_denied(string path) => RunAsync(async () =>
    {
        await SignInAsLabellerAsync();

        var response = await Page.GotoAsync(path);

        Assert.NotNull(response);
        Assert.Equal(403, response.Status);
        var error = new ErrorPage(Page);
        await Expect(error.AccessDeniedHeading).ToBeVisibleAsync();
        await Expect(error.Explanation).ToContainTextAsync("does not have the role");
        // The status page is re-executed in place: no redirect to a login page for a signed-in user.
        await Expect(Page).ToHaveURLAsync(new Regex(Regex.Escape(path) + "$"));
    }, $"{nameof(Labeller_is_refused_admin_pages_with_access_denied)}{path.Replace('/', '_')}");

    [Fact]
    public Task Anonymous_visit_to_datasets_lands_on_login() => RunAsync(async () =>
    {
        var response = await new DatasetsPage(Page).GotoAsync();

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        await Expect(Page).ToHaveURLAsync(new Regex(@"/Account/Login\?ReturnUrl=%2FDatasets$", RegexOptions.IgnoreCase));
        var login = new LoginPage(Page);
        await Expect(login.Heading).ToBeVisibleAsync();
        await Expect(login.Email).ToBeVisibleAsync();
        await Expect(new DatasetsPage(Page).Heading).ToHaveCountAsync(0);
    });

    /// <summary>A fresh labeller per test (the server is shared by the class), signed in through the login form.</summary>
    private async Task SignInAsLabellerAsync()
    {
        var email = $"labeller-{Guid.NewGuid():N}@e2e.local";
        await Server.CreateUserAsync(email, Roles.Labeller);
        var login = await new LoginPage(Page).GotoAsync();
        await login.SignInAsync(email, PlatformFactory.UserPassword);
        // Signed in: the layout names the user.
        await Expect(Page.GetByText(email, new() { Exact = true })).ToBeVisibleAsync();
    }
}
