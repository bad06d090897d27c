using System.Security.Claims;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Hosting;

/// <summary>
/// Checks a sign-in cookie against the account on every request, in place of Identity's security-stamp check every
/// 30 minutes: a disabled or deleted account, or a rotated stamp (password changed), ends the session at once; changed
/// roles replace the cookie's roles at once, so a demoted admin's next request is answered 403. Costs two indexed
/// lookups per request.
/// </summary>
internal static class SessionRevalidation
{
    public static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var claims = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity;
        var principal = context.Principal;
        var userId = principal?.FindFirstValue(claims.UserIdClaimType);
        var account = userId is null ? null : await services.GetRequiredService<UserAccess>().GetAsync(userId);
        if (account is null || account.Disabled || account.User.SecurityStamp != principal!.FindFirstValue(claims.SecurityStampClaimType))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return;
        }

        var claimedRoles = principal!.FindAll(claims.RoleClaimType).Select(c => c.Value).Order(StringComparer.Ordinal);
        if (!claimedRoles.SequenceEqual(account.Roles.Order(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            var signIn = services.GetRequiredService<SignInManager<PlatformUser>>();
            context.ReplacePrincipal(await signIn.CreateUserPrincipalAsync(account.User));
            context.ShouldRenew = true;
        }
    }
}
