using System.Security.Cryptography;
using System.Text;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Identity;

/// <summary>
/// A bearer token an admin issued for scripts calling the JSON API. Only its SHA-256 is stored; the token itself is
/// shown once, at creation.
/// </summary>
public class ApiToken
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string TokenHash { get; set; }

    /// <summary>The first characters, so people can tell their tokens apart.</summary>
    public required string Prefix { get; set; }
    public string? CreatedBy { get; set; }

    /// <summary>The user the token acts for: it has that user's roles, checked on every request, and dies with the account.</summary>
    public string? OwnerId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

public sealed class ApiTokenService(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock)
{
    public const string TokenPrefix = "lp_";

    /// <summary>Creates a token; the returned plain text is the only copy.</summary>
    public async Task<(ApiToken Token, string Plain)> CreateAsync(string name, string ownerId, string? createdBy, CancellationToken cancellationToken = default)
    {
        var plain = TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = new ApiToken { Name = name, TokenHash = Hash(plain), Prefix = plain[..10], CreatedBy = createdBy, OwnerId = ownerId, CreatedAt = clock.GetUtcNow() };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        return (token, plain);
    }

    /// <summary>The live token with this plain text, or null; records when it was last used.</summary>
    public async Task<ApiToken?> ValidateAsync(string plain, CancellationToken cancellationToken = default)
    {
        if (!plain.StartsWith(TokenPrefix, StringComparison.Ordinal) || plain.Length > 200)
        {
            return null;
        }

        var hash = Hash(plain);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.TokenHash == hash && t.RevokedAt == null, cancellationToken);
        if (token is not null)
        {
            token.LastUsedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
        }

        return token;
    }

    public async Task<bool> RevokeAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        return await db.ApiTokens.Where(t => t.Id == id && t.RevokedAt == null).ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), cancellationToken) == 1;
    }

    private static string Hash(string plain) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(plain)));
}
