using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

public sealed record ReviewRequest(int DatasetId, long ImageId, string UserId, string ClientId, int? ClassId, bool Rejected, int? ExpectedVersion);

public sealed record ReviewResult(long SubmissionId, bool Duplicate, long EventId, int Version);

/// <summary>
/// Reviewers' decisions: an image's final label (a class, or rejected), versioned so that a decision based on a final
/// label someone else has changed since is refused, appended as a Review event, idempotent per client id.
/// </summary>
public sealed class ReviewDecisions(IDbContextFactory<PlatformDbContext> contexts, LabelWriteGate gate, TimeProvider clock)
{
    /// <summary>
    /// A reviewer sets an image's final label. <see cref="ReviewRequest.ExpectedVersion"/> is the version the reviewer
    /// saw (null: there was none); if the final label has changed since, nothing is written and the caller gets a
    /// <see cref="LabelConflictException"/> naming who changed it.
    /// </summary>
    public async Task<ReviewResult> SetFinalAsync(ReviewRequest request, CancellationToken cancellationToken = default)
    {
        LabelWrites.CheckClientId(request.ClientId);
        if (request.Rejected == (request.ClassId is not null))
        {
            throw new LabellingException("give either a class or reject");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await LabelWrites.StoredAsync(db, request.UserId, request.ClientId, cancellationToken) is { } stored)
        {
            // A client id is one action: reused for another image (or a label) it is a client bug, not a replay.
            if (stored.ImageIds is not [var storedImage] || storedImage != request.ImageId
                || !await db.LabelEvents.AnyAsync(e => e.Id == stored.EventIds[0] && e.Kind == LabelEventKind.Review, cancellationToken)
                || await db.FinalLabels.AsNoTracking().FirstOrDefaultAsync(f => f.ImageId == request.ImageId, cancellationToken) is not { } final)
            {
                throw new LabellingException($"client id '{request.ClientId}' was already used for another action", 409);
            }

            return new ReviewResult(stored.SubmissionId, true, stored.EventIds[0], final.Version);
        }

        var taxonomy = await LabelWrites.TaxonomyAsync(db, request.DatasetId, cancellationToken);
        if (request.ClassId is { } c && !taxonomy.Classes.Contains(c))
        {
            throw new LabellingException($"class {c} is not a class of this dataset", 404);
        }

        if (!await db.Images.AnyAsync(i => i.Id == request.ImageId && i.DatasetId == request.DatasetId, cancellationToken))
        {
            throw new LabellingException($"image {request.ImageId} is not in this dataset", 404);
        }

        try
        {
            await using var tx = await gate.BeginAsync(db, cancellationToken);
            await LabelWrites.EnsureClassesStillExistAsync(db, request.DatasetId, [request.ClassId], cancellationToken);
            var row = await db.FinalLabels.FirstOrDefaultAsync(f => f.ImageId == request.ImageId, cancellationToken);
            if (row?.Version != request.ExpectedVersion)
            {
                throw await ConflictAsync(db, row, cancellationToken);
            }

            var now = clock.GetUtcNow();
            var submission = new LabelSubmission { DatasetId = request.DatasetId, UserId = request.UserId, ClientId = request.ClientId, CreatedAt = now };
            db.LabelSubmissions.Add(submission);
            await db.SaveChangesAsync(cancellationToken);
            var e = new LabelEvent
            {
                SubmissionId = submission.Id, DatasetId = request.DatasetId, ImageId = request.ImageId, UserId = request.UserId, Kind = LabelEventKind.Review,
                ClassId = request.ClassId, Rejected = request.Rejected, Source = "review", CreatedAt = now,
            };
            db.LabelEvents.Add(e);
            await db.SaveChangesAsync(cancellationToken);
            if (row is null)
            {
                row = new FinalLabel { ImageId = request.ImageId, DatasetId = request.DatasetId, DecidedBy = request.UserId };
                db.FinalLabels.Add(row);
            }

            (row.ClassId, row.Rejected, row.EventId, row.DecidedBy, row.DecidedAt) = (request.ClassId, request.Rejected, e.Id, request.UserId, now);
            row.Version = (request.ExpectedVersion ?? 0) + 1;
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            gate.Bump(request.DatasetId);
            return new ReviewResult(submission.Id, false, e.Id, row.Version);
        }
        catch (DbUpdateConcurrencyException)
        {
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            throw await ConflictAsync(again, await again.FinalLabels.AsNoTracking().FirstOrDefaultAsync(f => f.ImageId == request.ImageId, cancellationToken), cancellationToken);
        }
        catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            if (await LabelWrites.StoredAsync(again, request.UserId, request.ClientId, cancellationToken) is { } same)
            {
                var final = await again.FinalLabels.AsNoTracking().FirstAsync(f => f.ImageId == request.ImageId, cancellationToken);
                return new ReviewResult(same.SubmissionId, true, same.EventIds[0], final.Version);
            }

            // Two reviewers created the first final label at once: the later insert loses.
            throw await ConflictAsync(again, await again.FinalLabels.AsNoTracking().FirstOrDefaultAsync(f => f.ImageId == request.ImageId, cancellationToken), cancellationToken);
        }
    }

    private static async Task<LabelConflictException> ConflictAsync(PlatformDbContext db, FinalLabel? current, CancellationToken cancellationToken)
    {
        if (current is null)
        {
            return new LabelConflictException("The final label you changed has been removed since you loaded the page. Reload and decide again.", null);
        }

        var who = (await LabelNames.UserNamesAsync(db, [current.DecidedBy], cancellationToken)).GetValueOrDefault(current.DecidedBy, current.DecidedBy);
        var what = current.Rejected ? "rejected" : (await db.ImageClasses.Where(c => c.Id == current.ClassId).Select(c => c.Name).FirstOrDefaultAsync(cancellationToken)) ?? "?";
        return new LabelConflictException(
            $"{who} set the final label of this image to \"{what}\" at {current.DecidedAt:yyyy-MM-dd HH:mm:ss} UTC (version {current.Version}) after you loaded it. " +
            "Nothing was saved: reload to see their decision, then decide again.", current);
    }
}
