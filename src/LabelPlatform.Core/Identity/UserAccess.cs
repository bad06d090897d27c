using Microsoft.AspNetCore.Identity;

namespace LabelPlatform.Core.Identity;

/// <summary>What an account may do right now, read fresh from the database.</summary>
public sealed record AccountState(PlatformUser User, IReadOnlyList<string> Roles)
{
    public bool Disabled => User.DisabledAt is not null;

    /// <summary>A user without a role may sign in but sees no data; they are told to ask an admin.</summary>
    public bool HasRole => Roles.Count > 0;
}

/// <summary>
/// The account changes that must reach open sessions and tokens on their next request (roles, disabling, passwords),
/// shared by the admin pages and anything else that manages users. Role changes keep sessions (the next request
/// carries the new roles, so a demoted admin gets 403, not a sign-in page); disabling and password changes rotate the
/// security stamp, which ends every session of the account.
/// </summary>
public sealed class UserAccess(UserManager<PlatformUser> users, TimeProvider clock)
{
    public async Task<AccountState?> GetAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        return user is null ? null : new AccountState(user, [.. await users.GetRolesAsync(user)]);
    }

    public async Task<IdentityResult> SetRolesAsync(PlatformUser user, IReadOnlyCollection<string> roles)
    {
        var current = await users.GetRolesAsync(user);
        var removed = await users.RemoveFromRolesAsync(user, current.Except(roles));
        return removed.Succeeded ? await users.AddToRolesAsync(user, roles.Except(current)) : removed;
    }

    public async Task<IdentityResult> DisableAsync(PlatformUser user)
    {
        user.DisabledAt = clock.GetUtcNow();
        var updated = await users.UpdateAsync(user);
        return updated.Succeeded ? await users.UpdateSecurityStampAsync(user) : updated;
    }

    public async Task<IdentityResult> EnableAsync(PlatformUser user)
    {
        user.DisabledAt = null;
        return await users.UpdateAsync(user);
    }

    /// <summary>
    /// An admin resets a forgotten password: a generated one, returned to be shown once and stored only as its hash.
    /// Old sessions end (the stamp rotates) and a lockout from failed attempts is lifted.
    /// </summary>
    public async Task<(IdentityResult Result, string? Password)> ResetToGeneratedAsync(PlatformUser user)
    {
        var password = AdminSeeder.GeneratePassword();
        var set = await SetPasswordAsync(user, password);
        if (!set.Succeeded)
        {
            return (set, null);
        }

        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        return (set, password);
    }

    /// <summary>
    /// Deletes the account (roles, logins and API tokens go with it). Label events, votes and final labels keep the
    /// user id they were recorded with (they have no foreign key to the account), so the history stays attributed.
    /// </summary>
    public Task<IdentityResult> DeleteAsync(PlatformUser user) => users.DeleteAsync(user);

    /// <summary>An admin sets a new password; ResetPasswordAsync rotates the stamp, so old sessions end.</summary>
    public async Task<IdentityResult> SetPasswordAsync(PlatformUser user, string password) =>
        await users.ResetPasswordAsync(user, await users.GeneratePasswordResetTokenAsync(user), password);
}
