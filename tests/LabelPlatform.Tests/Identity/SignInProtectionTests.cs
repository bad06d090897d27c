using System.Net;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Identity;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Identity;

/// <summary>Guessing is limited per client; nobody can lock the admin out; the answers do not tell which e-mails exist.</summary>
public partial class SignInProtectionTests : IDisposable
{
    private readonly CountingHasher _hasher = new();
    private readonly PlatformFactory _factory;

    public SignInProtectionTests()
    {
        _factory = new PlatformFactory().WithClientAddresses()
            .WithServices(services => services.AddSingleton<IPasswordHasher<PlatformUser>>(_hasher));
    }

    [Fact]
    public async Task An_attacker_failing_from_one_address_does_not_lock_the_admin_out_of_another()
    {
        var attacker = _factory.CreateBrowserClient().As("203.0.113.7");
        for (var i = 0; i < 8; i++)
        {
            await attacker.PostFormAsync("/Account/Login", Form(PlatformFactory.AdminEmail, $"Guess-{i}-passw0rd"));
        }

        using (var scope = _factory.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
            Assert.True(await users.IsLockedOutAsync((await users.FindByEmailAsync(PlatformFactory.AdminEmail))!), "the guesses locked the account");
        }

        var attackerRight = await attacker.PostFormAsync("/Account/Login", Form(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword));
        var admin = _factory.CreateBrowserClient().As("198.51.100.20");
        var adminRight = await admin.PostFormAsync("/Account/Login", Form(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword));

        Assert.Equal(HttpStatusCode.OK, attackerRight.StatusCode); // the client that failed stays stopped
        Assert.Equal(HttpStatusCode.Redirect, adminRight.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/Admin/Users")).StatusCode);
    }

    [Fact]
    public async Task Unknown_and_existing_emails_get_the_same_page_and_the_same_password_hash_work()
    {
        await _factory.CreateUserAsync("exists@test.local", Roles.Labeller);
        var pages = new List<string>();
        var hashes = new List<int>();
        // Each from its own address, so no client limit is reached; the existing account is locked out by then.
        var attempts = new[] { ("nobody@test.local", "10.0.0.1"), ("exists@test.local", "10.0.0.2") }
            .Concat(Enumerable.Range(0, 6).Select(i => ("exists@test.local", $"10.0.1.{i}")))
            .Append(("nobody@test.local", "10.0.0.3"));
        foreach (var (email, address) in attempts)
        {
            var client = _factory.CreateBrowserClient().As(address);
            var token = await client.GetAntiforgeryTokenAsync("/Account/Login");
            var before = _hasher.Verifications;
            var response = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.Email"] = email, ["Input.Password"] = "Wrong-passw0rd!", ["__RequestVerificationToken"] = token,
            }));
            hashes.Add(_hasher.Verifications - before);
            pages.Add(Normalise(await response.Content.ReadAsStringAsync(), email));
        }

        Assert.All(hashes, h => Assert.Equal(1, h));
        Assert.Single(pages.Distinct());
        Assert.DoesNotContain("locked", pages[0], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Sign_in_posts_are_rate_limited_per_client()
    {
        _factory.With("Identity:SignIn:PermitLimit", "3");
        var noisy = _factory.CreateBrowserClient().As("192.0.2.50");
        var token = await noisy.GetAntiforgeryTokenAsync("/Account/Login");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            var response = await noisy.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.Email"] = $"nobody{i}@test.local", ["Input.Password"] = "Wrong-passw0rd!", ["__RequestVerificationToken"] = token,
            }));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter is not null, "429 without Retry-After");
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        // The page itself is not limited, and another client is not affected.
        Assert.Equal(HttpStatusCode.OK, (await noisy.GetAsync("/Account/Login")).StatusCode);
        var other = _factory.CreateBrowserClient().As("192.0.2.51");
        Assert.Equal(HttpStatusCode.Redirect, (await other.PostFormAsync("/Account/Login", Form(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword))).StatusCode);
    }

    private static Dictionary<string, string> Form(string email, string password) => new() { ["Input.Email"] = email, ["Input.Password"] = password };

    // The page without what legitimately differs: the antiforgery token and the e-mail echoed into the form.
    private static string Normalise(string html, string email) =>
        TokenValue().Replace(html, "value=\"TOKEN\"").Replace(email, "EMAIL", StringComparison.Ordinal);

    [GeneratedRegex("value=\"CfDJ8[^\"]*\"")]
    private static partial Regex TokenValue();

    public void Dispose() => _factory.Dispose();

    /// <summary>Identity's hasher, counting verifications.</summary>
    private sealed class CountingHasher : IPasswordHasher<PlatformUser>
    {
        private readonly PasswordHasher<PlatformUser> _inner = new();
        private int _verifications;

        public int Verifications => Volatile.Read(ref _verifications);

        public string HashPassword(PlatformUser user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(PlatformUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _verifications);
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
