using System.Net;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>
/// Own password change, an admin's reset to a one-time password and deleting an account, each taking effect on the
/// next request of the sessions it concerns. (Disabling is covered by RevocationTests.)
/// </summary>
public sealed partial class AccountPagesTests : IDisposable
{
    private const string Email = "labeller@test.local";
    private const string NewPassword = "Brand-New-Passw0rd!";
    private readonly PlatformFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private async Task<bool> SignsInAsync(string password) =>
        (await _factory.CreateBrowserClient().PostFormAsync("/Account/Login", new() { ["Input.Email"] = Email, ["Input.Password"] = password })).StatusCode == HttpStatusCode.Redirect;

    private static void AssertSentToLogin(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/Account/Login", response.Headers.Location?.OriginalString ?? "", StringComparison.Ordinal);
    }

    private async Task<PlatformUser?> FindAsync(string id)
    {
        using var scope = _factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>().FindByIdAsync(id);
    }

    [Fact]
    public async Task Changing_ones_own_password_keeps_this_session_ends_the_others_and_retires_the_old_password()
    {
        var id = await _factory.CreateUserAsync(Email, Roles.Labeller);
        var here = await _factory.SignInAsync(Email, PlatformFactory.UserPassword);
        var elsewhere = await _factory.SignInAsync(Email, PlatformFactory.UserPassword);

        var wrong = await here.PostFormAsync("/Account/Password", new() { ["Input.Current"] = "not-my-Passw0rd!", ["Input.New"] = NewPassword, ["Input.Again"] = NewPassword });
        var wrongHtml = await wrong.Content.ReadAsStringAsync();
        var failedCount = (await FindAsync(id))!.AccessFailedCount;
        var changed = await here.PostFormAsync("/Account/Password", new() { ["Input.Current"] = PlatformFactory.UserPassword, ["Input.New"] = NewPassword, ["Input.Again"] = NewPassword });

        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("The current password is wrong", wrongHtml, StringComparison.Ordinal);
        Assert.Equal(1, failedCount);
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await here.GetAsync("/Label")).StatusCode);
        AssertSentToLogin(await elsewhere.GetAsync("/Label"));
        Assert.False(await SignsInAsync(PlatformFactory.UserPassword));
        Assert.True(await SignsInAsync(NewPassword));
    }

    [Fact]
    public async Task A_user_without_a_role_may_change_their_password_and_still_sees_only_the_message()
    {
        await _factory.CreateUserAsync(Email);
        var client = await _factory.SignInAsync(Email, PlatformFactory.UserPassword);

        var changed = await client.PostFormAsync("/Account/Password", new() { ["Input.Current"] = PlatformFactory.UserPassword, ["Input.New"] = NewPassword, ["Input.Again"] = NewPassword });
        var home = await client.GetStringAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Contains("id=\"no-role\"", home, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/Datasets")).StatusCode);
        Assert.True(await SignsInAsync(NewPassword));
    }

    [Fact]
    public async Task An_admin_reset_shows_a_one_time_password_once_and_ends_the_users_sessions()
    {
        var id = await _factory.CreateUserAsync(Email, Roles.Labeller);
        var user = await _factory.SignInAsync(Email, PlatformFactory.UserPassword);
        var admin = await _factory.SignInAdminAsync();

        var reset = await admin.PostFormAsync("/Admin/Users?handler=Reset", new() { ["userId"] = id }, tokenPage: "/Admin/Users");
        var html = await reset.Content.ReadAsStringAsync();
        var password = WebUtility.HtmlDecode(OneTimePassword().Match(html).Groups[1].Value);
        var later = await admin.GetStringAsync("/Admin/Users");

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Contains("no-store", reset.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        // Only the reset was posted: the create form's empty fields raise no errors on this page.
        Assert.DoesNotContain("class=\"errors\"", html, StringComparison.Ordinal);
        Assert.True(password.Length >= 10, $"no one-time password on the page: {html[..Math.Min(html.Length, 400)]}");
        Assert.DoesNotContain(password, later, StringComparison.Ordinal);
        AssertSentToLogin(await user.GetAsync("/Label"));
        Assert.False(await SignsInAsync(PlatformFactory.UserPassword));
        Assert.True(await SignsInAsync(password));
    }

    [Fact]
    public async Task Deleting_a_user_needs_their_email_typed_ends_their_session_and_keeps_their_label_events()
    {
        var id = await _factory.CreateUserAsync(Email, Roles.Labeller);
        var user = await _factory.SignInAsync(Email, PlatformFactory.UserPassword);
        var seeded = await EvaluationSeed.CreateAsync(_factory.Services, "delete-user", classes: 2, perClass: 3);
        await _factory.Services.GetRequiredService<LabelSubmissions>().SubmitAsync(new SubmitRequest(seeded.DatasetId, id, "before-delete", "single",
            [new LabelItem(seeded.ImageIds[0], LabelEventKind.Label, seeded.ClassIds[0]), new LabelItem(seeded.ImageIds[1], LabelEventKind.Label, seeded.ClassIds[1])]));
        await _factory.Services.GetRequiredService<ApiTokenService>().CreateAsync("script", id, Email);
        var admin = await _factory.SignInAdminAsync();
        var adminId = await _factory.UserIdAsync(PlatformFactory.AdminEmail);
        var page = $"/Admin/Users/Delete/{id}";

        var confirmation = await admin.GetStringAsync(page);
        var mistyped = await admin.PostFormAsync(page, new() { ["Confirm"] = "someone@else.local" });
        var stillThere = await FindAsync(id);
        var deleted = await admin.PostFormAsync(page, new() { ["Confirm"] = Email });
        var self = await admin.PostFormAsync($"/Admin/Users/Delete/{adminId}", new() { ["Confirm"] = PlatformFactory.AdminEmail });

        Assert.Contains("<strong>2</strong> label event(s)", confirmation, StringComparison.Ordinal);
        Assert.Contains("<strong>1</strong> API token(s)", confirmation, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, mistyped.StatusCode);
        Assert.NotNull(stillThere);
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Null(await FindAsync(id));
        AssertSentToLogin(await user.GetAsync("/Label"));
        Assert.Contains("You cannot delete your own account", await self.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(await FindAsync(adminId));
        using var scope = _factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        Assert.Equal(2, await db.LabelEvents.CountAsync(e => e.UserId == id));
        Assert.Equal(2, await db.LabelVotes.CountAsync(v => v.UserId == id));
        Assert.Equal(0, await db.ApiTokens.CountAsync(t => t.OwnerId == id));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(page)).StatusCode);
    }

    [GeneratedRegex("<code data-password>([^<]+)</code>")]
    private static partial Regex OneTimePassword();
}
