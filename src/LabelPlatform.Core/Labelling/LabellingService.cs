using System.Collections.Concurrent;
using LabelPlatform.Core.Data;
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

public sealed record HistoryEntry(long EventId, DateTimeOffset At, string User, LabelEventKind Kind, string? ClassName, bool Rejected, long? UndoesEventId, string? SuggestedClassName, double? SuggestionConfidence, string Source, string ClientId);

/// <summary>
/// The labelling workflow's writes: append-only events with idempotent submissions, undo, reviewer decisions with a
/// concurrency token, and the queue (leases on images handed out). Every write runs in one SQLite IMMEDIATE
/// transaction, so the events and their projections (votes, final labels, leases) never disagree.
/// </summary>
public sealed class LabellingService(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock) : IDisposable
{
    public const int MaxItemsPerSubmission = 500;
    public const int MaxClientIdLength = 64;

    private readonly ConcurrentDictionary<int, long> _generations = new();
    private readonly ConcurrentDictionary<int, DateTimeOffset> _lastLeaseSweep = new();

    /// <summary>
    /// One labelling write transaction at a time in this process. SQLite has one writer anyway; waiting here is a
    /// plain FIFO queue, while waiting in SQLite's busy handler sleeps in growing steps (1, 2, 5, 10 ... 100 ms),
    /// which is what made the tail latency under 50 concurrent labellers.
    /// </summary>
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <summary>Goes up on every write to a dataset's labels; readers cache derived state against it.</summary>
    public long Generation(int datasetId) => _generations.GetValueOrDefault(datasetId);

    public async Task<LabellingSettings> GetSettingsAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var settings = await db.LabellingSettings.AsNoTracking().FirstOrDefaultAsync(s => s.DatasetId == datasetId, cancellationToken);
        if (settings is null && !await db.Datasets.AnyAsync(d => d.Id == datasetId, cancellationToken))
        {
            throw new LabellingException($"dataset {datasetId} does not exist", 404);
        }

        return settings ?? new LabellingSettings { DatasetId = datasetId };
    }

    public async Task SaveSettingsAsync(int datasetId, int overlap, int leaseSeconds, int? modelId, string user, Queue.QueueOrder order = Queue.QueueOrder.Random,
        bool showImportLabels = false, CancellationToken cancellationToken = default)
    {
        if (overlap is < 1 or > LabellingSettings.MaxOverlap)
        {
            throw new LabellingException($"overlap must be between 1 and {LabellingSettings.MaxOverlap}");
        }

        if (leaseSeconds is < 10 or > 3600)
        {
            throw new LabellingException("the lease must be between 10 and 3600 seconds");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var row = await db.LabellingSettings.FirstOrDefaultAsync(s => s.DatasetId == datasetId, cancellationToken);
        if (row is null)
        {
            row = new LabellingSettings { DatasetId = datasetId };
            db.LabellingSettings.Add(row);
        }

        if (!Enum.IsDefined(order))
        {
            throw new LabellingException($"unknown queue order {(int)order}");
        }

        (row.Overlap, row.LeaseSeconds, row.ModelId, row.Order, row.ShowImportLabels, row.UpdatedAt, row.UpdatedBy) =
            (overlap, leaseSeconds, modelId, order, showImportLabels, clock.GetUtcNow(), user);
        await db.SaveChangesAsync(cancellationToken);
        Bump(datasetId);
    }

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
            await using var tx = await BeginAsync(db, cancellationToken);
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
            Bump(request.DatasetId);
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
            await using var tx = await BeginAsync(db, cancellationToken);
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
            await HoldAsync(db, datasetId, userId, [.. relabel.Distinct()], now.AddSeconds(leaseSeconds), cancellationToken);

            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            Bump(datasetId);
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
            await using var tx = await BeginAsync(db, cancellationToken);
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
            Bump(request.DatasetId);
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

    /// <summary>
    /// Reserves for the labeller those of <paramref name="candidates"/> (in their order, up to <paramref name="count"/>)
    /// that still have a free slot: not voted on by them, not decided, fewer votes plus other labellers' live leases
    /// than the overlap. Grid expansion uses it for the neighbours it shows, so two labellers never work one slot.
    /// </summary>
    public async Task<IReadOnlyList<long>> LeaseAsync(int datasetId, string userId, IReadOnlyList<long> candidates, int count, CancellationToken cancellationToken = default)
    {
        var settings = await GetSettingsAsync(datasetId, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        return await LeaseAsync(db, datasetId, userId, settings, [.. candidates], [], count, cancellationToken);
    }

    /// <summary>
    /// Those of <paramref name="imageIds"/> (in their order) that still have a slot for this labeller, by the rule leases
    /// use; a read only, for callers that look further when too few are left (grid expansion).
    /// </summary>
    public async Task<List<long>> WithSlotAsync(int datasetId, string userId, IReadOnlyList<long> imageIds, CancellationToken cancellationToken = default)
    {
        var overlap = (await GetSettingsAsync(datasetId, cancellationToken)).Overlap;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = imageIds.ToList();
        var open = (await Open(db, datasetId, userId, [], clock.GetUtcNow()).Where(x => ids.Contains(x.Id) && (x.Mine || x.Votes + x.Others < overlap))
            .Select(x => x.Id).ToListAsync(cancellationToken)).ToHashSet();
        return [.. imageIds.Where(open.Contains)];
    }

    internal async Task<IReadOnlyList<long>> LeaseAsync(PlatformDbContext db, int datasetId, string userId, LabellingSettings settings, List<long> candidates,
        List<long> tiedCandidates, int count, CancellationToken cancellationToken)
    {
        var overlap = settings.Overlap;
        var all = candidates.Concat(tiedCandidates).ToList();
        if (all.Count == 0)
        {
            return [];
        }

        await using var tx = await BeginAsync(db, cancellationToken);
        var now = clock.GetUtcNow();
        var state = await Open(db, datasetId, userId, [], now).Where(x => all.Contains(x.Id)).ToDictionaryAsync(x => x.Id, cancellationToken);
        var picked = candidates.Where(id => state.TryGetValue(id, out var x) && (x.Mine || x.Votes + x.Others < overlap))
            .Concat(tiedCandidates.Where(id => state.TryGetValue(id, out var x) && x.Others == 0))
            .Take(count).ToList();

        // Lapsed leases are only clutter once expired: cleared now and then while we hold the write lock anyway,
        // and before this labeller's own lapsed leases are loaded for renewal (a row deleted under them fails the update).
        if (now - _lastLeaseSweep.GetValueOrDefault(datasetId) > TimeSpan.FromSeconds(30))
        {
            _lastLeaseSweep[datasetId] = now;
            await db.LabelLeases.Where(l => l.DatasetId == datasetId && l.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
        }

        await HoldAsync(db, datasetId, userId, picked, now.AddSeconds(settings.LeaseSeconds), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return picked;
    }

    /// <summary>Reserves <paramref name="imageIds"/> for the labeller until <paramref name="expires"/>: their leases renewed, missing ones added (saved by the caller).</summary>
    private static async Task HoldAsync(PlatformDbContext db, int datasetId, string userId, List<long> imageIds, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        var held = await db.LabelLeases.Where(l => l.UserId == userId && imageIds.Contains(l.ImageId)).ToDictionaryAsync(l => l.ImageId, cancellationToken);
        foreach (var id in imageIds)
        {
            if (held.TryGetValue(id, out var lease))
            {
                lease.ExpiresAt = expires;
            }
            else
            {
                db.LabelLeases.Add(new LabelLease { DatasetId = datasetId, ImageId = id, UserId = userId, ExpiresAt = expires });
            }
        }
    }

    /// <summary>Member-initialised (not a constructor) so EF can filter and sort on it after the projection.</summary>
    internal sealed class OpenImage
    {
        public long Id { get; init; }
        public int Votes { get; init; }
        public int Others { get; init; }
        public bool Mine { get; init; }
    }

    /// <summary>The dataset's images this labeller has not voted on and no reviewer has decided, with their slot counts.</summary>
    internal static IQueryable<OpenImage> Open(PlatformDbContext db, int datasetId, string userId, List<long> excluded, DateTimeOffset now) =>
        db.Images.Where(i => i.DatasetId == datasetId && !excluded.Contains(i.Id) && i.NearDuplicateOfId == null
                && !db.LabelVotes.Any(v => v.ImageId == i.Id && v.UserId == userId)
                && !db.FinalLabels.Any(f => f.ImageId == i.Id))
            .Select(i => new OpenImage
            {
                Id = i.Id,
                Votes = db.LabelVotes.Count(v => v.ImageId == i.Id && v.Kind != LabelEventKind.Skip),
                Others = db.LabelLeases.Count(l => l.ImageId == i.Id && l.UserId != userId && l.ExpiresAt > now),
                Mine = db.LabelLeases.Any(l => l.ImageId == i.Id && l.UserId == userId && l.ExpiresAt > now),
            });

    /// <summary>Every event on one image, oldest first, with the labellers' names.</summary>
    public async Task<List<HistoryEntry>> HistoryAsync(long imageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.LabelEvents.AsNoTracking().Where(e => e.ImageId == imageId).OrderBy(e => e.Id)
            .Join(db.LabelSubmissions, e => e.SubmissionId, s => s.Id, (e, s) => new { e, s.ClientId })
            .ToListAsync(cancellationToken);
        var users = await UserNamesAsync(db, rows.Select(r => r.e.UserId), cancellationToken);
        var classIds = rows.SelectMany(r => new[] { r.e.ClassId, r.e.SuggestedClassId }).OfType<int>().Distinct().ToList();
        var names = await db.ImageClasses.Where(c => classIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, cancellationToken);
        return [.. rows.Select(r => new HistoryEntry(r.e.Id, r.e.CreatedAt, users.GetValueOrDefault(r.e.UserId, r.e.UserId), r.e.Kind,
            r.e.ClassId is { } c ? names.GetValueOrDefault(c) : null, r.e.Rejected, r.e.UndoesEventId,
            r.e.SuggestedClassId is { } s ? names.GetValueOrDefault(s) : null, r.e.SuggestionConfidence, r.e.Source, r.ClientId))];
    }

    /// <summary>
    /// Rebuilds the votes of a dataset by folding its events from scratch, to check the projection (a test compares
    /// them) or repair it: the latest Label/Noise/Reject/Skip event per (image, labeller) that no Undo cancels.
    /// </summary>
    public async Task<List<LabelVote>> FoldVotesAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var events = await db.LabelEvents.AsNoTracking().Where(e => e.DatasetId == datasetId).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var undone = events.Where(e => e.UndoesEventId is not null).Select(e => e.UndoesEventId!.Value).ToHashSet();
        return [.. events.Where(e => e.Kind <= LabelEventKind.Skip && !undone.Contains(e.Id))
            .GroupBy(e => (e.ImageId, e.UserId)).Select(g => g.MaxBy(e => e.Id)!)
            .Select(e => new LabelVote { ImageId = e.ImageId, UserId = e.UserId, DatasetId = datasetId, EventId = e.Id, Kind = e.Kind, ClassId = e.ClassId })
            .OrderBy(v => v.ImageId).ThenBy(v => v.UserId, StringComparer.Ordinal)];
    }

    internal static async Task<Dictionary<string, string>> UserNamesAsync(PlatformDbContext db, IEnumerable<string> ids, CancellationToken cancellationToken)
    {
        var list = ids.Distinct().ToList();
        return await db.Users.Where(u => list.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Email ?? u.UserName ?? u.Id, cancellationToken);
    }

    public void Dispose() => _writeGate.Dispose();

    private async Task<GatedTransaction> BeginAsync(PlatformDbContext db, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            // The semaphore orders this process's writers; the database lock orders all processes' (SQLite: the
            // IMMEDIATE begin; PostgreSQL: an advisory lock), so reads inside see what they change.
            var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            try
            {
                await DatabaseLocks.TakeTransactionLockAsync(db.Database, DatabaseLocks.Labelling, cancellationToken);
            }
            catch
            {
                await transaction.DisposeAsync();
                throw;
            }

            return new GatedTransaction(transaction, _writeGate);
        }
        catch
        {
            _writeGate.Release();
            throw;
        }
    }

    private sealed class GatedTransaction(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction, SemaphoreSlim gate) : IAsyncDisposable
    {
        public Task CommitAsync(CancellationToken cancellationToken) => transaction.CommitAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            try
            {
                await transaction.DisposeAsync();
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private void Bump(int datasetId) => _generations.AddOrUpdate(datasetId, 1, (_, g) => g + 1);

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

        var who = (await UserNamesAsync(db, [current.DecidedBy], cancellationToken)).GetValueOrDefault(current.DecidedBy, current.DecidedBy);
        var what = current.Rejected ? "rejected" : (await db.ImageClasses.Where(c => c.Id == current.ClassId).Select(c => c.Name).FirstOrDefaultAsync(cancellationToken)) ?? "?";
        return new LabelConflictException(
            $"{who} set the final label of this image to \"{what}\" at {current.DecidedAt:yyyy-MM-dd HH:mm:ss} UTC (version {current.Version}) after you loaded it. " +
            "Nothing was saved: reload to see their decision, then decide again.", current);
    }

    private static bool IsUniqueViolation(DbUpdateException ex) => DbErrors.IsUniqueViolation(ex);
}
