using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Identity;

public sealed class AdminAccountOptions
{
    public const string Section = "Identity:Admin";

    [Required, EmailAddress]

    public string Email { get; set; } = "admin@labelplatform.local";

    /// <summary>When empty, a password is generated on first run and written once to the log.</summary>
    [MinLength(10)]
    public string? Password { get; set; }
}

/// <summary>Creates the three roles and, when no admin exists yet, the first admin account.</summary>
public sealed class AdminSeeder(
    RoleManager<IdentityRole> roles,
    UserManager<PlatformUser> users,
    IOptions<AdminAccountOptions> options,
    TimeProvider clock,
    ILogger<AdminSeeder> logger)
{
    public async Task EnsureRolesAndAdminAsync(CancellationToken cancellationToken = default)
    {
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                Throw(await roles.CreateAsync(new IdentityRole(role)), $"create role {role}");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if ((await users.GetUsersInRoleAsync(Roles.Admin)).Count > 0)
        {
            return;
        }

        var email = options.Value.Email;
        var configured = !string.IsNullOrWhiteSpace(options.Value.Password);
        var password = configured ? options.Value.Password! : GeneratePassword();
        var admin = await users.FindByEmailAsync(email);
        if (admin is null)
        {
            admin = new PlatformUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Administrator", CreatedAt = clock.GetUtcNow() };
            Throw(await users.CreateAsync(admin, password), "create the first admin");
        }
        else
        {
            // An account with the admin's address exists but lost its role (e.g. demoted by hand): restore it with a known password.
            await users.RemovePasswordAsync(admin);
            Throw(await users.AddPasswordAsync(admin, password), "reset the first admin's password");
        }

        Throw(await users.AddToRoleAsync(admin, Roles.Admin), "grant the Admin role");
        if (configured)
        {
            logger.LogWarning("Created admin account {Email} with the password from configuration (Identity:Admin:Password)", email);
        }
        else
        {
            // Written once: the next start finds the admin and says nothing.
            logger.LogWarning("Created admin account {Email} with generated password {Password} - sign in and keep it safe; it is not shown again", email, password);
        }
    }

    internal static string GeneratePassword()
    {
        // 18 random characters from four classes so Identity's default password rules always pass.
        const string lower = "abcdefghijkmnopqrstuvwxyz", upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", digits = "23456789", symbols = "!@#$%*-_+=";
        var all = lower + upper + digits + symbols;
        var chars = new char[18];
        chars[0] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[1] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        chars[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        for (var i = 4; i < chars.Length; i++)
        {
            chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        }

        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }

    private static void Throw(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }
    }
}
