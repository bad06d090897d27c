using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>The suggestions shown with an image when the action was taken.</summary>
public sealed record ShownSuggestions(IReadOnlyList<Suggestion> Items)
{
    public Suggestion? First => Items.Count > 0 ? Items[0] : null;

    public string Encode() => string.Join(';', Items.Select(s => FormattableString.Invariant($"{s.ClassId}:{s.Confidence:0.###}")));
}

public sealed record LabelItem(long ImageId, LabelEventKind Kind, int? ClassId = null, ShownSuggestions? Suggestions = null);

public sealed record SubmitRequest(int DatasetId, string UserId, string ClientId, string Source, IReadOnlyList<LabelItem> Items);

/// <summary>What a submission stored. <see cref="Duplicate"/>: this client id was seen before and nothing new was written.</summary>
public sealed record SubmitResult(long SubmissionId, bool Duplicate, IReadOnlyList<long> EventIds, IReadOnlyList<long> ImageIds);

/// <summary>
/// Labellers' writes: append-only events with idempotent submissions, and undo of any standing submission. Each runs
/// in a transaction of <see cref="LabelWriteGate"/>, so the events and their projections (votes, leases) never disagree.
/// </summary>
public sealed class LabelSubmissions(IDbContextFactory<PlatformDbContext> contexts, LabelWriteGate gate, TimeProvider clock)
{
    public const int MaxItemsPerSubmission = 500;

    /// <summary>
    /// Appends one event per item and updates the labeller's votes. A client id seen before for this user returns the
    /// stored result (no second event), whether the first attempt finished long ago or is committing right now.
    /// </summary>
    public async Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken = default)
    {
        LabelWrites.CheckClientId(request.ClientId);
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
        if (await LabelWrites.StoredAsync(db, request.UserId, request.ClientId, cancellationToken) is { } stored)
        {
            return stored;
        }

        var taxonomy = await LabelWrites.TaxonomyAsync(db, request.DatasetId, cancellationToken);
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
            await LabelWrites.EnsureClassesStillExistAsync(db, request.DatasetId, items.Select(i => i.ClassId), cancellationToken);
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
        catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            // The same client id committed by a concurrent request between our check and our insert.
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            return await LabelWrites.StoredAsync(again, request.UserId, request.ClientId, cancellationToken) ?? throw new InvalidOperationException("lost a submission race without a stored submission", ex);
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
        LabelWrites.CheckClientId(clientId);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await LabelWrites.StoredAsync(db, userId, clientId, cancellationToken) is { } stored)
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
        catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            await using var again = await contexts.CreateDbContextAsync(cancellationToken);
            return await LabelWrites.StoredAsync(again, userId, clientId, cancellationToken) ?? throw new InvalidOperationException("lost an undo race without a stored submission", ex);
        }
    }

    /// <summary>Checks an item against the taxonomy; "noise" becomes the dataset's noise class when it has one.</summary>
    private static LabelItem Normalise(LabelItem item, LabelWrites.Taxonomy taxonomy)
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
}
