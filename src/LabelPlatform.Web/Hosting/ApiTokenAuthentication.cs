using System.Security.Claims;
using System.Text.Encodings.Web;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Hosting;

/// <summary>
/// "Authorization: Bearer lp_..." for scripts calling the JSON API with a token an admin issued. Browsers keep using
/// the sign-in cookie; the API accepts either.
/// </summary>
internal sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiTokenService tokens,
    UserAccess accounts) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";
    public const string TokenIdClaim = "api_token_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var token = await tokens.ValidateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (token is null)
        {
            return AuthenticateResult.Fail("invalid or revoked API token");
        }

        // A token acts for its owner with the owner's roles as they are now: a demoted owner's token loses the access
        // on its next request (403), a disabled or deleted owner's token stops authenticating (401).
        var owner = token.OwnerId is null ? null : await accounts.GetAsync(token.OwnerId);
        if (owner is null || owner.Disabled)
        {
            return AuthenticateResult.Fail("the API token's owner is disabled or no longer exists");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, $"token:{token.Name}"),
                new Claim(ClaimTypes.NameIdentifier, owner.User.Id),
                new Claim(TokenIdClaim, token.Id.ToString()),
                .. owner.Roles.Select(role => new Claim(ClaimTypes.Role, role)),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"LabelPlatform API\"";
        return Task.CompletedTask;
    }
}
