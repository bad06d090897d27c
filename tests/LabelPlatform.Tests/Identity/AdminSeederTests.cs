using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Identity;

public class AdminSeederTests
{
    [Fact]
    public async Task First_run_without_a_configured_password_generates_one_and_logs_it_once()
    {
        await using var platform = await CorePlatform.StartAsync(new() { ["Identity:Admin:Password"] = null, ["Identity:Admin:Email"] = "first@test.local" });
        var created = platform.Logs.Where(l => l.Contains("generated password", StringComparison.Ordinal)).ToList();
        Assert.Single(created);
        var password = created[0].Split("generated password ")[1].Split(' ')[0];

        using (var scope = platform.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
            var admin = await users.FindByEmailAsync("first@test.local");
            Assert.True(await users.CheckPasswordAsync(admin!, password));
            Assert.True(await users.IsInRoleAsync(admin!, Roles.Admin));
        }

        // A second start finds the admin and says nothing more.
        await using (var scope = platform.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AdminSeeder>().EnsureRolesAndAdminAsync();
        }

        await DatabaseInitializer.InitializeAsync(platform.Services);
        Assert.Single(platform.Logs, l => l.Contains("generated password", StringComparison.Ordinal));
    }

    [Fact]
    public void Generated_passwords_meet_the_password_rules_and_differ()
    {
        var passwords = Enumerable.Range(0, 50).Select(_ => AdminSeeder.GeneratePassword()).ToList();
        Assert.Equal(50, passwords.Distinct().Count());
        Assert.All(passwords, p =>
        {
            Assert.Equal(18, p.Length);
            Assert.Contains(p, char.IsAsciiLetterLower);
            Assert.Contains(p, char.IsAsciiLetterUpper);
            Assert.Contains(p, char.IsAsciiDigit);
            Assert.Contains(p, c => !char.IsAsciiLetterOrDigit(c));
        });
    }
}
