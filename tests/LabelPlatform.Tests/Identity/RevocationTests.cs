using System.Net;
using System.Net.Http.Headers;
using LabelPlatform.Core.Identity;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Identity;

/// <summary>Role changes, disabling and password changes reach open sessions and API tokens on their next request.</summary>
public class RevocationTests : IDisposable
{
    private const string SecondAdmin = "second.admin@test.local";
    private readonly PlatformFactory _factory = new();

    [Fact]
    public async Task A_demoted_signed_in_admin_is_refused_on_the_next_request_and_cannot_create_users()
    {
        var admin = await _factory.SignInAdminAsync();
        var victimId = await _factory.CreateUserAsync(SecondAdmin, Roles.Admin);
        var demoted = await _factory.SignInAsync(SecondAdmin, PlatformFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, (await demoted.GetAsync("/Admin/Users")).StatusCode);
        var tokenBeforeDemotion = await demoted.GetAntiforgeryTokenAsync("/Admin/Users");

        var removed = await admin.PostFormAsync("/Admin/Users?handler=Roles", new() { ["userId"] = victimId }, tokenPage: "/Admin/Users");
        Assert.Equal(HttpStatusCode.Redirect, removed.StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await demoted.GetAsync("/Admin/Users")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await demoted.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await demoted.GetAsync("/Admin/ApiTokens")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await demoted.GetAsync("/Datasets")).StatusCode);
        var create = await demoted.PostAsync("/Admin/Users?handler=Create", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = "sneaky@test.local",
            ["Input.Password"] = "Sneaky-Passw0rd!",
            ["Input.Roles"] = Roles.Admin,
            ["__RequestVerificationToken"] = tokenBeforeDemotion,
        }));
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Null(await FindAsync("sneaky@test.local"));
    }

    [Fact]
    public async Task A_reviewer_demoted_to_labeller_loses_review_at_once_and_keeps_labelling()
    {
        var admin = await _factory.SignInAdminAsync();
        var id = await _factory.CreateUserAsync("reviewer@test.local", Roles.Reviewer);
        var reviewer = await _factory.SignInAsync("reviewer@test.local", PlatformFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync("/Review")).StatusCode);

        await admin.PostFormAsync("/Admin/Users?handler=Roles", new() { ["userId"] = id, ["roles"] = Roles.Labeller }, tokenPage: "/Admin/Users");

        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.GetAsync("/Review")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.GetAsync("/Evaluation")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync("/Label")).StatusCode);
    }

    [Fact]
    public async Task An_api_token_has_its_owners_current_roles_and_dies_with_a_disabled_owner()
    {
        var ownerId = await _factory.CreateUserAsync(SecondAdmin, Roles.Admin);
        var plain = (await _factory.Services.GetRequiredService<ApiTokenService>().CreateAsync("script", ownerId, SecondAdmin)).Plain;
        var script = _factory.CreateBrowserClient();
        script.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", plain);
        // An unknown dataset answers 404: the token got past authorisation.
        async Task<HttpStatusCode> SearchAsync() =>
            (await script.PostAsync("/api/search", new FormUrlEncodedContent(new Dictionary<string, string> { ["dataset"] = "nope", ["imageId"] = "1" }))).StatusCode;
        Assert.Equal(HttpStatusCode.NotFound, await SearchAsync());

        using var scope = _factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        var access = scope.ServiceProvider.GetRequiredService<UserAccess>();
        var owner = (await users.FindByIdAsync(ownerId))!;

        await access.SetRolesAsync(owner, []);
        Assert.Equal(HttpStatusCode.Forbidden, await SearchAsync());

        await access.SetRolesAsync(owner, [Roles.Labeller]);
        Assert.Equal(HttpStatusCode.NotFound, await SearchAsync());

        await access.DisableAsync(owner);
        Assert.Equal(HttpStatusCode.Unauthorized, await SearchAsync());
    }

    [Fact]
    public async Task Disabling_an_account_ends_its_sessions_and_its_sign_ins()
    {
        var admin = await _factory.SignInAdminAsync();
        var id = await _factory.CreateUserAsync("labeller@test.local", Roles.Labeller);
        var labeller = await _factory.SignInAsync("labeller@test.local", PlatformFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, (await labeller.GetAsync("/Label")).StatusCode);

        var disabled = await admin.PostFormAsync("/Admin/Users?handler=Disable", new() { ["userId"] = id }, tokenPage: "/Admin/Users");
        Assert.Equal(HttpStatusCode.Redirect, disabled.StatusCode);

        AssertSentToLogin(await labeller.GetAsync("/Label"));
        var again = await _factory.CreateBrowserClient().PostFormAsync("/Account/Login", new() { ["Input.Email"] = "labeller@test.local", ["Input.Password"] = PlatformFactory.UserPassword });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("disabled", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await admin.PostFormAsync("/Admin/Users?handler=Enable", new() { ["userId"] = id }, tokenPage: "/Admin/Users");
        var back = await _factory.SignInAsync("labeller@test.local", PlatformFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, (await back.GetAsync("/Label")).StatusCode);
    }

    [Fact]
    public async Task A_new_password_signs_out_the_old_sessions()
    {
        var admin = await _factory.SignInAdminAsync();
        var id = await _factory.CreateUserAsync("labeller@test.local", Roles.Labeller);
        var old = await _factory.SignInAsync("labeller@test.local", PlatformFactory.UserPassword);

        var set = await admin.PostFormAsync("/Admin/Users?handler=Password", new() { ["userId"] = id, ["newPassword"] = "Brand-New-Passw0rd!" }, tokenPage: "/Admin/Users");
        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);

        AssertSentToLogin(await old.GetAsync("/Label"));
        var fresh = await _factory.SignInAsync("labeller@test.local", "Brand-New-Passw0rd!");
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/Label")).StatusCode);
    }

    private static void AssertSentToLogin(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/Login", response.Headers.Location?.OriginalString ?? "", StringComparison.Ordinal);
    }

    private async Task<PlatformUser?> FindAsync(string email)
    {
        using var scope = _factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>().FindByEmailAsync(email);
    }

    public void Dispose() => _factory.Dispose();
}
