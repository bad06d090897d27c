using LabelPlatform.Core.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>A request that cannot be carried out as asked (bad image, class or kind); maps to 400 or 404.</summary>
public sealed class LabellingException(string message, int status = 400) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>A reviewer's decision was based on a final label someone else has changed since; maps to 409.</summary>
public sealed class LabelConflictException(string message, FinalLabel? current) : Exception(message)
{
    public FinalLabel? Current { get; } = current;
}

/// <summary>The suggestions shown with an image when the action was taken.</summary>
public sealed record ShownSuggestions(IReadOnlyList<Suggestion> Items)
{
    public Suggestion? First => Items.Count > 0 ? Items[0] : null;

    public string Encode() => string.Join(';', Items.Select(s => FormattableString.Invariant($"{s.ClassId}:{s.Confidence:0.###}")));
}

public sealed record Suggestion(int ClassId, string ClassName, double Confidence, int Votes);

public sealed record LabelItem(long ImageId, LabelEventKind Kind, int? ClassId = null, ShownSuggestions? Suggestions = null);

public sealed record SubmitRequest(int DatasetId, string UserId, string ClientId, string Source, IReadOnlyList<LabelItem> Items);

/// <summary>What a submission stored. <see cref="Duplicate"/>: this client id was seen before and nothing new was written.</summary>
public sealed record SubmitResult(long SubmissionId, bool Duplicate, IReadOnlyList<long> EventIds, IReadOnlyList<long> ImageIds);

public sealed record ReviewRequest(int DatasetId, long ImageId, string UserId, string ClientId, int? ClassId, bool Rejected, int? ExpectedVersion);

public sealed record ReviewResult(long SubmissionId, bool Duplicate, long EventId, int Version);

/// <summary>
/// The labelling workflow's writes: append-only events with idempotent submissions, undo, reviewer decisions with a
/// concurrency token, and the queue (leases on images handed out). Every write runs in a transaction of
/// <see cref="LabelWriteGate"/>, so the events and their projections (votes, final labels, leases) never disagree.
/// </summary>
public sealed class LabellingService(IDbContextFactory<PlatformDbContext> contexts, LabelWriteGate gate, TimeProvider clock)
{
    public const int MaxItemsPerSubmission = 500;
    public const int MaxClientIdLength = 64;

    /// <summary>
    /// Appends one event per item and updates the labeller's votes. A client id seen before for this user returns the
    /// stored result (no second event), whether the first attempt finished long ago or is committing right now.
    /// </summary>
    public async Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken = default)
    {
        CheckClientId(request.ClientId);
        if (request.Items.Count is 0 or > MaxItemsPerSubmission)
        {
            throw new LabellingException($"a submission holds 1 to {MaxItemsPerSubmission} items");
        }

        if (request.Items.Any(i => i.Kind is LabelEventKind.Undo or LabelEventKind.Review))
        {
            throw new LabellingException("undo and review have their own requests");
        }

        if (request.Items.Select(i => i.ImageId).Distinct().Count() != request.Items.Count)
        {
            throw new LabellingException("an image appears twice in one submission");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // One connection for the whole request: EF would otherwise open and close it (and run the pragmas) per query.
        await db.Database.OpenConnectionAsync(cancellationToken);
        if (await StoredAsync(db, request.UserId, request.ClientId, cancellationToken) is { } stored)
        {
            return stored;
        }

        var taxonomy = await TaxonomyAsync(db, request.DatasetId, cancellationToken);
        var imageIds = request.Items.Select(i => i.ImageId).ToList();
        var found = await db.Images.Where(i => i.DatasetId == request.DatasetId && imageIds.Contains(i.Id)).CountAsync(cancellationToken);
        if (found != imageIds.Count)
        {
            throw new LabellingException("some images are not in this dataset", 404);
        }

        var items = request.Items.Select(i => Normalise(i, taxonomy)).ToList();
        try
        {
            await using var tx = await gate.BeginAsync(db, cancellationToken);
            await EnsureClassesStillExistAsync(db, request.DatasetId, items.Select(i => i.ClassId), cancellationToken);
            var now = clock.GetUtcNow();
            // Few statements while the write lock is held: the votes to update are read first, then the submission,
            // its events and the votes are inserted or updated by one SaveChanges (linked by navigation, ids filled in).
            var votes = await db.LabelVotes.Where(v => v.UserId == request.UserId && imageIds.Contains(v.ImageId)).ToDictionaryAsync(v => v.ImageId, cancellationToken);
            var submission = new LabelSubmission { DatasetId = request.DatasetId, UserId = request.UserId, ClientId = request.ClientId, CreatedAt = now };
            var events = items.Select(i => new LabelEvent
            {
                Submission = submission, DatasetId = request.DatasetId, ImageId = i.ImageId, UserId = request.UserId, Kind = i.Kind, ClassId = i.ClassId,
                SuggestedClassId = i.Suggestions?.First?.ClassId, SuggestionConfidence = i.Suggestions?.First?.Confidence,
                Suggestions = i.Suggestions is { Items.Count: > 0 } s ? s.Encode() : null, Source = request.Source, CreatedAt = now,
            }).ToList();
            db.LabelEvents.AddRange(events);
            foreach (var e in events)
            {
                if (!votes.TryGetValue(e.ImageId, out var vote))
                {
                    vote = new LabelVote { ImageId = e.ImageId, UserId = request.UserId, DatasetId = request.DatasetId };
                    db.LabelVotes.Add(vote);
                }

                (vote.Event, vote.Kind, vote.ClassId, vote.UpdatedAt) = (e, e.Kind, e.ClassId, now);
            }

            // The images are done for this labeller: their reservations go back.
            await db.LabelLeases.Where(l => l.UserId == request.UserId && imageIds.Contains(l.ImageId)).ExecuteDeleteAsync(cancellationToken);

            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            gate.Bump(request.DatasetId);
            return new SubmitResult(submission.Id, false, [.. events.Select(e => e.Id)], imageIds);
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            // The same client id committed by a concurrent request between our check and our insert.
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            return await StoredAsync(again, request.UserId, request.ClientId, cancellationToken) ?? throw new InvalidOperationException("lost a submission race without a stored submission", ex);
        }
    }

    /// <summary>
    /// Undoes one of the labeller's submissions in the dataset that is not undone yet (all its images at once, so a
    /// grid assignment is one undo): one Undo event per event, and each image's vote goes back to the labeller's latest
    /// action on it still standing. The images left without a vote are leased to the labeller again: the page shows
    /// them to be labelled anew, and nobody else should be handed them meanwhile.
    /// </summary>
    /// <param name="expectedSubmissionId">The submission the caller means to undo (any entry of its page's action
    /// log, not only the last); null: the latest standing one. A submission already undone, or not this labeller's in
    /// this dataset, undoes nothing.</param>
    public async Task<SubmitResult> UndoAsync(int datasetId, string userId, string clientId, long? expectedSubmissionId = null, CancellationToken cancellationToken = default)
    {
        CheckClientId(clientId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await StoredAsync(db, userId, clientId, cancellationToken) is { } stored)
        {
            return stored;
        }

        try
        {
            await using var tx = await gate.BeginAsync(db, cancellationToken);
            var undone = db.LabelEvents.Where(e => e.UserId == userId && e.UndoesEventId != null).Select(e => e.UndoesEventId!.Value);
            var standing = db.LabelEvents.Where(e => e.DatasetId == datasetId && e.UserId == userId && e.Kind <= LabelEventKind.Skip && !undone.Contains(e.Id));
            // Named: exactly that submission, so an undo from one tab never takes back what another tab did since.
            long target;
            if (expectedSubmissionId is { } expected)
            {
                if (!await standing.AnyAsync(e => e.SubmissionId == expected, cancellationToken))
                {
                    throw await db.LabelEvents.AnyAsync(e => e.SubmissionId == expected && e.DatasetId == datasetId && e.UserId == userId, cancellationToken)
                        ? new LabellingException("not undone: that action is undone already", 409)
                        : new LabellingException("nothing to undo: no such action of yours in this dataset", 404);
                }

                target = expected;
            }
            else
            {
                target = await standing.OrderByDescending(e => e.Id).Select(e => (long?)e.SubmissionId).FirstOrDefaultAsync(cancellationToken)
                    ?? throw new LabellingException("nothing to undo", 404);
            }

            var events = await db.LabelEvents.Where(e => e.SubmissionId == target && e.Kind <= LabelEventKind.Skip && !undone.Contains(e.Id)).ToListAsync(cancellationToken);

            var now = clock.GetUtcNow();
            var submission = new LabelSubmission { DatasetId = datasetId, UserId = userId, ClientId = clientId, CreatedAt = now };
            db.LabelSubmissions.Add(submission);
            await db.SaveChangesAsync(cancellationToken);
            var undos = events.Select(e => new LabelEvent
            {
                SubmissionId = submission.Id, DatasetId = datasetId, ImageId = e.ImageId, UserId = userId, Kind = LabelEventKind.Undo,
                ClassId = e.ClassId, UndoesEventId = e.Id, Source = e.Source, CreatedAt = now,
            }).ToList();
            db.LabelEvents.AddRange(undos);
            await db.SaveChangesAsync(cancellationToken);

            // Each image's vote: the labeller's latest earlier action on it that is still standing, or none.
            var relabel = new List<long>();
            foreach (var e in events)
            {
                var previous = await db.LabelEvents
                    .Where(p => p.ImageId == e.ImageId && p.UserId == userId && p.Kind <= LabelEventKind.Skip && !undone.Contains(p.Id))
                    .OrderByDescending(p => p.Id).FirstOrDefaultAsync(cancellationToken);
                var vote = await db.LabelVotes.FirstOrDefaultAsync(v => v.ImageId == e.ImageId && v.UserId == userId, cancellationToken);
                if (previous is null)
                {
                    if (vote is not null)
                    {
                        db.LabelVotes.Remove(vote);
                    }

                    relabel.Add(e.ImageId);
                }
                else if (vote is not null)
                {
                    (vote.EventId, vote.Kind, vote.ClassId, vote.UpdatedAt) = (previous.Id, previous.Kind, previous.ClassId, now);
                }
            }

            // The submission gave the leases back; the images are this labeller's to label again.
            var leaseSeconds = await db.LabellingSettings.Where(s => s.DatasetId == datasetId).Select(s => (int?)s.LeaseSeconds).FirstOrDefaultAsync(cancellationToken)
                ?? LabellingSettings.DefaultLeaseSeconds;
            await LabelLeases.HoldAsync(db, datasetId, userId, [.. relabel.Distinct()], now.AddSeconds(leaseSeconds), cancellationToken);

            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            gate.Bump(datasetId);
            return new SubmitResult(submission.Id, false, [.. undos.Select(u => u.Id)], [.. undos.Select(u => u.ImageId)]);
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            return await StoredAsync(again, userId, clientId, cancellationToken) ?? throw new InvalidOperationException("lost an undo race without a stored submission", ex);
        }
    }

    /// <summary>
    /// A reviewer sets an image's final label. <see cref="ReviewRequest.ExpectedVersion"/> is the version the reviewer
    /// saw (null: there was none); if the final label has changed since, nothing is written and the caller gets a
    /// <see cref="LabelConflictException"/> naming who changed it.
    /// </summary>
    public async Task<ReviewResult> SetFinalAsync(ReviewRequest request, CancellationToken cancellationToken = default)
    {
        CheckClientId(request.ClientId);
        if (request.Rejected == (request.ClassId is not null))
        {
            throw new LabellingException("give either a class or reject");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await StoredAsync(db, request.UserId, request.ClientId, cancellationToken) is { } stored)
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

        var taxonomy = await TaxonomyAsync(db, request.DatasetId, cancellationToken);
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
            await EnsureClassesStillExistAsync(db, request.DatasetId, [request.ClassId], cancellationToken);
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
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            if (await StoredAsync(again, request.UserId, request.ClientId, cancellationToken) is { } same)
            {
                var final = await again.FinalLabels.AsNoTracking().FirstAsync(f => f.ImageId == request.ImageId, cancellationToken);
                return new ReviewResult(same.SubmissionId, true, same.EventIds[0], final.Version);
            }

            // Two reviewers created the first final label at once: the later insert loses.
            throw await ConflictAsync(again, await again.FinalLabels.AsNoTracking().FirstOrDefaultAsync(f => f.ImageId == request.ImageId, cancellationToken), cancellationToken);
        }
    }

    private static void CheckClientId(string clientId)
    {
        if (string.IsNullOrWhiteSpace(clientId) || clientId.Length > MaxClientIdLength)
        {
            throw new LabellingException($"every submission needs a client id of 1 to {MaxClientIdLength} characters");
        }
    }

    private sealed record Taxonomy(HashSet<int> Classes, int? NoiseClassId);

    /// <summary>
    /// The taxonomy is read before the write lock is taken, and an unused class may be deleted in between (see
    /// DatasetService.DeleteClassAsync): checked again under the lock, so no event ever names a class that is gone.
    /// </summary>
    private static async Task EnsureClassesStillExistAsync(PlatformDbContext db, int datasetId, IEnumerable<int?> classIds, CancellationToken cancellationToken)
    {
        var wanted = classIds.OfType<int>().Distinct().ToList();
        if (wanted.Count > 0 && await db.ImageClasses.CountAsync(c => c.DatasetId == datasetId && wanted.Contains(c.Id), cancellationToken) != wanted.Count)
        {
            throw new LabellingException("a class of this submission was deleted meanwhile: reload the page", 409);
        }
    }

    private static async Task<Taxonomy> TaxonomyAsync(PlatformDbContext db, int datasetId, CancellationToken cancellationToken)
    {
        var classes = await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).Select(c => new { c.Id, c.IsNoise }).ToListAsync(cancellationToken);
        if (classes.Count == 0 && !await db.Datasets.AnyAsync(d => d.Id == datasetId, cancellationToken))
        {
            throw new LabellingException($"dataset {datasetId} does not exist", 404);
        }

        return new Taxonomy([.. classes.Select(c => c.Id)], classes.FirstOrDefault(c => c.IsNoise)?.Id);
    }

    /// <summary>Checks an item against the taxonomy; "noise" becomes the dataset's noise class when it has one.</summary>
    private static LabelItem Normalise(LabelItem item, Taxonomy taxonomy)
    {
        // Suggestions come from neighbours' labels, so they only name classes in use (never deletable): an unknown
        // one is a broken client, refused rather than stored as a dangling id.
        if (item.Suggestions?.Items.FirstOrDefault(s => !taxonomy.Classes.Contains(s.ClassId)) is { } unknown)
        {
            throw new LabellingException($"image {item.ImageId}: suggestion class {unknown.ClassId} is not a class of this dataset");
        }

        switch (item.Kind)
        {
            case LabelEventKind.Label:
                if (item.ClassId is not { } c || !taxonomy.Classes.Contains(c))
                {
                    throw new LabellingException($"image {item.ImageId}: a label needs a class of this dataset", 404);
                }

                return item;
            case LabelEventKind.Noise:
                return item with { ClassId = taxonomy.NoiseClassId };
            case LabelEventKind.Reject:
            case LabelEventKind.Skip:
                return item with { ClassId = null };
            default:
                throw new LabellingException($"unknown action {item.Kind}");
        }
    }

    private static async Task<SubmitResult?> StoredAsync(PlatformDbContext db, string userId, string clientId, CancellationToken cancellationToken)
    {
        var submission = await db.LabelSubmissions.AsNoTracking().Where(s => s.UserId == userId && s.ClientId == clientId).Select(s => (long?)s.Id).FirstOrDefaultAsync(cancellationToken);
        if (submission is not { } id)
        {
            return null;
        }

        var events = await db.LabelEvents.AsNoTracking().Where(e => e.SubmissionId == id).OrderBy(e => e.Id).Select(e => new { e.Id, e.ImageId }).ToListAsync(cancellationToken);
        return new SubmitResult(id, true, [.. events.Select(e => e.Id)], [.. events.Select(e => e.ImageId)]);
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

    private static bool IsUniqueViolation(DbUpdateException ex) =>
        ex.InnerException is SqliteException { SqliteErrorCode: 19 } sqlite && sqlite.Message.Contains("UNIQUE", StringComparison.Ordinal);
}
