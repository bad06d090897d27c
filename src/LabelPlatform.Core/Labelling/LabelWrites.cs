using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>
/// Rules every labelling write follows (submissions, undo, review decisions): a client id per action, replayed
/// rather than written twice, and classes checked against the dataset's taxonomy before and under the write lock.
/// </summary>
public static class LabelWrites
{
    public const int MaxClientIdLength = 64;

    internal static void CheckClientId(string clientId)
    {
        if (string.IsNullOrWhiteSpace(clientId) || clientId.Length > MaxClientIdLength)
        {
            throw new LabellingException($"every submission needs a client id of 1 to {MaxClientIdLength} characters");
        }
    }

    internal sealed record Taxonomy(HashSet<int> Classes, int? NoiseClassId);

    /// <summary>
    /// The taxonomy is read before the write lock is taken, and an unused class may be deleted in between (see
    /// DatasetService.DeleteClassAsync): checked again under the lock, so no event ever names a class that is gone.
    /// </summary>
    internal static async Task EnsureClassesStillExistAsync(PlatformDbContext db, int datasetId, IEnumerable<int?> classIds, CancellationToken cancellationToken)
    {
        var wanted = classIds.OfType<int>().Distinct().ToList();
        if (wanted.Count > 0 && await db.ImageClasses.CountAsync(c => c.DatasetId == datasetId && wanted.Contains(c.Id), cancellationToken) != wanted.Count)
        {
            throw new LabellingException("a class of this submission was deleted meanwhile: reload the page", 409);
        }
    }

    internal static async Task<Taxonomy> TaxonomyAsync(PlatformDbContext db, int datasetId, CancellationToken cancellationToken)
    {
        var classes = await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).Select(c => new { c.Id, c.IsNoise }).ToListAsync(cancellationToken);
        if (classes.Count == 0 && !await db.Datasets.AnyAsync(d => d.Id == datasetId, cancellationToken))
        {
            throw new LabellingException($"dataset {datasetId} does not exist", 404);
        }

        return new Taxonomy([.. classes.Select(c => c.Id)], classes.FirstOrDefault(c => c.IsNoise)?.Id);
    }

    internal static async Task<SubmitResult?> StoredAsync(PlatformDbContext db, string userId, string clientId, CancellationToken cancellationToken)
    {
        var submission = await db.LabelSubmissions.AsNoTracking().Where(s => s.UserId == userId && s.ClientId == clientId).Select(s => (long?)s.Id).FirstOrDefaultAsync(cancellationToken);
        if (submission is not { } id)
        {
            return null;
        }

        var events = await db.LabelEvents.AsNoTracking().Where(e => e.SubmissionId == id).OrderBy(e => e.Id).Select(e => new { e.Id, e.ImageId }).ToListAsync(cancellationToken);
        return new SubmitResult(id, true, [.. events.Select(e => e.Id)], [.. events.Select(e => e.ImageId)]);
    }
}
