using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Identity;

namespace LabelPlatform.Web.Hosting;

public enum SignInOutcome
{
    SignedIn,

    /// <summary>Wrong e-mail or password, or this client has failed too often: one answer for all, on purpose.</summary>
    Refused,

    /// <summary>Right password for an account an admin disabled.</summary>
    Disabled,
}

/// <summary>
/// The sign-in form's check. Unknown and existing e-mails cost the same password hash and get the same answer; a
/// client's own failures stop that client; the account's lockout (failures from all clients) stops only clients that
/// have failed themselves.
/// </summary>
public sealed class PasswordSignIn(
    UserManager<PlatformUser> users,
    SignInManager<PlatformUser> signIn,
    IPasswordHasher<PlatformUser> hasher,
    FailedSignIns failures,
    ILogger<PasswordSignIn> logger)
{
    // A real hash of a random password, made once by the same hasher: verifying it costs what a real account costs.
    private static string? s_decoyHash;

    public async Task<SignInOutcome> SignInAsync(string email, string password, bool persistent, string client)
    {
        if (failures.IsBlocked(client))
        {
            logger.LogWarning("Sign-in refused: client {Client} is over its failure limit", client);
            return SignInOutcome.Refused;
        }

        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            var decoy = s_decoyHash ??= hasher.HashPassword(new PlatformUser(), Guid.NewGuid().ToString("N"));
            hasher.VerifyHashedPassword(new PlatformUser(), decoy, password);
            failures.Record(client);
            return SignInOutcome.Refused;
        }

        if (!await users.CheckPasswordAsync(user, password))
        {
            await users.AccessFailedAsync(user);
            failures.Record(client);
            logger.LogInformation("Wrong password for {Email} from {Client}", email, client);
            return SignInOutcome.Refused;
        }

        var lockedOut = await users.IsLockedOutAsync(user);
        if (lockedOut && failures.Count(client) > 0)
        {
            return SignInOutcome.Refused;
        }

        if (user.DisabledAt is not null)
        {
            return SignInOutcome.Disabled;
        }

        if (!lockedOut)
        {
            await users.ResetAccessFailedCountAsync(user);
        }

        await signIn.SignInAsync(user, persistent);
        logger.LogInformation("{Email} signed in{Note}", email, lockedOut ? " past the account's lockout (no failures from this client)" : "");
        return SignInOutcome.SignedIn;
    }
}
