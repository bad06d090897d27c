using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

public sealed record HistoryEntry(long EventId, DateTimeOffset At, string User, LabelEventKind Kind, string? ClassName, bool Rejected, long? UndoesEventId, string? SuggestedClassName, double? SuggestionConfidence, string Source, string ClientId);

/// <summary>Reads of the append-only label events: an image's history, and the votes the events fold to.</summary>
public sealed class LabelHistory(IDbContextFactory<PlatformDbContext> contexts)
{
    /// <summary>Every event on one image, oldest first, with the labellers' names.</summary>
    public async Task<List<HistoryEntry>> HistoryAsync(long imageId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.LabelEvents.AsNoTracking().Where(e => e.ImageId == imageId).OrderBy(e => e.Id)
            .Join(db.LabelSubmissions, e => e.SubmissionId, s => s.Id, (e, s) => new { e, s.ClientId })
            .ToListAsync(cancellationToken);
        var users = await LabelNames.UserNamesAsync(db, rows.Select(r => r.e.UserId), cancellationToken);
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
}
