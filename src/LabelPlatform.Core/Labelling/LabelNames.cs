using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>How labels and the people who gave them are named on pages, in queues and in exports.</summary>
public sealed class LabelNames(IDbContextFactory<PlatformDbContext> contexts)
{
    public static string Describe(LabelValue value, IReadOnlyDictionary<int, string> names) =>
        value.Rejected ? "rejected" : value.ClassId is { } c ? names.GetValueOrDefault(c, $"class {c}") : "noise";

    /// <summary>The dataset's classes by id.</summary>
    public async Task<Dictionary<int, string>> ClassNamesAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Id, c => c.Name, cancellationToken);
    }

    /// <summary>Each user id's e-mail (else user name, else the id itself), for those that still exist.</summary>
    internal static async Task<Dictionary<string, string>> UserNamesAsync(PlatformDbContext db, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var list = ids.Distinct().ToList();
        return await db.Users.Where(u => list.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.UserName ?? u.Id, cancellationToken);
    }
}
