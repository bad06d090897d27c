using Microsoft.AspNetCore.Identity;

namespace LabelPlatform.Core.Identity;

public class PlatformUser : IdentityUser
{
    public string? DisplayName { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Set by an admin: the account cannot sign in, and its open sessions and API tokens stop working.</summary>
    public DateTimeOffset? DisabledAt { get; set; }
}

public static class Roles
{
    public const string Admin = "Admin";
    public const string Reviewer = "Reviewer";
    public const string Labeller = "Labeller";

    public static readonly IReadOnlyList<string> All = [Admin, Reviewer, Labeller];
}

/// <summary>Authorisation policies; each area of the site is guarded by one.</summary>
public static class Policies
{
    /// <summary>Admin pages: users, imports, job control, the Hangfire dashboard.</summary>
    public const string Admin = "AdminOnly";

    /// <summary>Reviewer pages; admins may review too.</summary>
    public const string Reviewer = "ReviewerArea";

    /// <summary>Labeller pages; reviewers and admins may label too.</summary>
    public const string Labeller = "LabellerArea";

    /// <summary>Anything that shows data (datasets, images, search): a signed-in user holding at least one role.</summary>
    public const string Member = "Member";
}
