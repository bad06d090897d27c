using System.Net;
using LabelPlatform.Core.Identity;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Identity;

public class SignInTests : IDisposable
{
    private readonly PlatformFactory _factory = new();

    [Fact]
    public async Task Five_wrong_passwords_stop_that_client_even_for_the_right_one()
    {
        await _factory.CreateUserAsync("victim@test.local", Roles.Labeller);
        var client = _factory.CreateBrowserClient();
        for (var i = 0; i < 5; i++)
        {
            var wrong = await client.PostFormAsync("/Account/Login", new() { ["Input.Email"] = "victim@test.local", ["Input.Password"] = $"Wrong-{i}-password" });
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        var right = await client.PostFormAsync("/Account/Login", new() { ["Input.Email"] = "victim@test.local", ["Input.Password"] = PlatformFactory.UserPassword });

        Assert.Equal(HttpStatusCode.OK, right.StatusCode); // the form again, not a redirect into the app
        Assert.Contains("too many failed sign-ins", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_shows_an_error_and_no_session()
    {
        var client = _factory.CreateBrowserClient();
        var response = await client.PostFormAsync("/Account/Login", new() { ["Input.Email"] = PlatformFactory.AdminEmail, ["Input.Password"] = "Not-the-passw0rd" });

        Assert.Contains("Wrong email or password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/Datasets")).StatusCode);
    }

    [Fact]
    public async Task Admin_creates_a_user_with_roles_who_can_then_sign_in_and_is_held_to_them()
    {
        var admin = await _factory.SignInAdminAsync();

        var created = await admin.PostFormAsync("/Admin/Users?handler=Create", new()
        {
            ["Input.Email"] = "new.reviewer@test.local",
            ["Input.DisplayName"] = "New Reviewer",
            ["Input.Password"] = "Reviewer-Passw0rd!",
            ["Input.Roles"] = Roles.Reviewer,
        }, tokenPage: "/Admin/Users");
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);

        var reviewer = await _factory.SignInAsync("new.reviewer@test.local", "Reviewer-Passw0rd!");
        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync("/Review")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.GetAsync("/Admin/Users")).StatusCode);

        using var scope = _factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        var user = await users.FindByEmailAsync("new.reviewer@test.local");
        Assert.Equal([Roles.Reviewer], await users.GetRolesAsync(user!));
    }

    [Fact]
    public async Task Weak_password_and_unknown_role_are_refused_with_reasons()
    {
        var admin = await _factory.SignInAdminAsync();

        var weak = await admin.PostFormAsync("/Admin/Users?handler=Create", new() { ["Input.Email"] = "weak@test.local", ["Input.Password"] = "aaaaaaaaaa" }, tokenPage: "/Admin/Users");
        var role = await admin.PostFormAsync("/Admin/Users?handler=Create", new() { ["Input.Email"] = "role@test.local", ["Input.Password"] = "Good-Passw0rd!", ["Input.Roles"] = "Superuser" }, tokenPage: "/Admin/Users");

        Assert.Contains("Passwords must", WebUtility.HtmlDecode(await weak.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Contains("Unknown role", await role.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var scope = _factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        Assert.Null(await users.FindByEmailAsync("weak@test.local"));
        Assert.Null(await users.FindByEmailAsync("role@test.local"));
    }

    [Fact]
    public async Task Admin_cannot_remove_their_own_admin_role()
    {
        var admin = await _factory.SignInAdminAsync();
        using var scope = _factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        var me = await users.FindByEmailAsync(PlatformFactory.AdminEmail);

        await admin.PostFormAsync("/Admin/Users?handler=Roles", new() { ["userId"] = me!.Id, ["roles"] = Roles.Labeller }, tokenPage: "/Admin/Users");

        Assert.Contains(Roles.Admin, await users.GetRolesAsync(me));
    }

    public void Dispose() => _factory.Dispose();
}
