using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Review;

/// <summary>What one "send to review" did: images flagged now, and those already waiting in the Flagged queue (their flag renewed).</summary>
public sealed record FlagResult(int Flagged, int AlreadyOpen);

/// <summary>An open flag: the image waits in the Flagged queue.</summary>
public sealed record OpenFlag(long ImageId, string FlaggedBy, DateTimeOffset FlaggedAt, string? Note);

/// <summary>
/// Sends images to review and lists those still waiting. A flag is open while the image's final-label version is the
/// one it had when flagged, so a review decision made anywhere (queue, browser, API) clears it without this class
/// being told; flagging a decided image again opens a new flag against its current decision.
/// </summary>
public sealed class ReviewFlagging(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock)
{
    /// <summary>Flags the images (all of <paramref name="datasetId"/>; the caller checks the selection).</summary>
    public async Task<FlagResult> FlagAsync(int datasetId, IReadOnlyCollection<long> imageIds, string userId, string? note, CancellationToken cancellationToken = default)
    {
        try
        {
            return await FlagOnceAsync(datasetId, imageIds, userId, note, cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another reviewer flagged one of these images between our read and our insert (one row per image):
            // read again, and this time that row is renewed instead of added.
            return await FlagOnceAsync(datasetId, imageIds, userId, note, cancellationToken);
        }
    }

    private async Task<FlagResult> FlagOnceAsync(int datasetId, IReadOnlyCollection<long> imageIds, string userId, string? note, CancellationToken cancellationToken)
    {
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        if (note?.Length > ReviewFlag.MaxNoteLength)
        {
            note = note[..ReviewFlag.MaxNoteLength];
        }

        var ids = imageIds.Distinct().ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var versions = await db.FinalLabels.AsNoTracking().Where(f => ids.Contains(f.ImageId))
            .ToDictionaryAsync(f => f.ImageId, f => (int?)f.Version, cancellationToken);
        var existing = await db.ReviewFlags.Where(f => ids.Contains(f.ImageId)).ToDictionaryAsync(f => f.ImageId, cancellationToken);
        var now = clock.GetUtcNow();
        var (flagged, open) = (0, 0);
        foreach (var id in ids)
        {
            var version = versions.GetValueOrDefault(id);
            if (existing.TryGetValue(id, out var flag))
            {
                if (flag.FinalVersion == version)
                {
                    open++;
                }
                else
                {
                    flagged++;
                }

                (flag.FlaggedBy, flag.FlaggedAt, flag.Note, flag.FinalVersion) = (userId, now, note ?? (flag.FinalVersion == version ? flag.Note : null), version);
                continue;
            }

            db.ReviewFlags.Add(new ReviewFlag { DatasetId = datasetId, ImageId = id, FlaggedBy = userId, FlaggedAt = now, Note = note, FinalVersion = version });
            flagged++;
        }

        await db.SaveChangesAsync(cancellationToken);
        return new FlagResult(flagged, open);
    }

    /// <summary>The dataset's open flags, oldest first (the order they were sent in).</summary>
    public async Task<List<OpenFlag>> OpenAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await (from f in db.ReviewFlags.AsNoTracking().Where(f => f.DatasetId == datasetId)
                          join l in db.FinalLabels on f.ImageId equals l.ImageId into finals
                          from l in finals.DefaultIfEmpty()
                          where (l == null && f.FinalVersion == null) || (l != null && f.FinalVersion == l.Version)
                          select new { f.ImageId, f.FlaggedBy, f.FlaggedAt, f.Note }).ToListAsync(cancellationToken);
        return [.. rows.OrderBy(r => r.FlaggedAt).ThenBy(r => r.ImageId).Select(r => new OpenFlag(r.ImageId, r.FlaggedBy, r.FlaggedAt, r.Note))];
    }
}
