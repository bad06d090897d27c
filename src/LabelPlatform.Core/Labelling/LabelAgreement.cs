using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>
/// One labeller's figures. Acceptance of model suggestions and agreement with import labels are kept apart: the first
/// says how often they took the hint on screen, the second how often their own label matched what the image came with.
/// </summary>
public sealed record LabellerStats(string UserId, string Name, int Events, int Votes, double? LabelsPerHour, int ComparedWithConsensus, double? AgreementWithConsensus, int SuggestionsShown, int SuggestionsAccepted)
{
    public double? AcceptanceRate => SuggestionsShown == 0 ? null : SuggestionsAccepted / (double)SuggestionsShown;

    /// <summary>Current class votes on images that have an import label.</summary>
    public int ComparedWithImport { get; init; }

    public int AgreedWithImport { get; init; }

    public double? AgreementWithImport => ComparedWithImport == 0 ? null : AgreedWithImport / (double)ComparedWithImport;
}

public sealed record PairAgreement(string A, string B, int Items, double? Kappa);

public sealed record AgreementReport(int Overlap, int ImagesWithVotes, int WithConsensus, int WithoutConsensus, int FinalLabels, int FleissItems, double? FleissKappa, IReadOnlyList<LabellerStats> Labellers, IReadOnlyList<PairAgreement> Pairs);

/// <summary>How far labellers agree with each other, with the consensus, with model suggestions and with import labels.</summary>
public sealed class LabelAgreement(IDbContextFactory<PlatformDbContext> contexts)
{
    /// <summary>Consensus counts, Fleiss' kappa, Cohen's kappa per labeller pair, and each labeller's figures.</summary>
    public async Task<AgreementReport> AgreementAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var board = await LabelBoard.LoadAsync(db, datasetId, cancellationToken);
        var events = await db.LabelEvents.AsNoTracking().Where(e => e.DatasetId == datasetId)
            .Select(e => new { e.Id, e.UserId, e.Kind, e.ClassId, e.SuggestedClassId, e.UndoesEventId, e.CreatedAt }).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var undone = events.Where(e => e.UndoesEventId is not null).Select(e => e.UndoesEventId!.Value).ToHashSet();
        var withVotes = board.Images.Values.Where(i => i.Votes.Count > 0).ToList();
        // Labellers: whoever has labelling events (a reviewer who only decided final labels is not one).
        var userIds = withVotes.SelectMany(i => i.Votes.Select(v => v.UserId)).Union(events.Where(e => e.Kind <= LabelEventKind.Undo).Select(e => e.UserId)).Distinct().Order(StringComparer.Ordinal).ToList();
        var names = await LabelNames.UserNamesAsync(db, userIds, cancellationToken);

        var imported = await db.Images.Where(i => i.DatasetId == datasetId && i.SourceClassId != null).Select(i => new { i.Id, i.SourceClassId })
            .ToDictionaryAsync(i => i.Id, i => i.SourceClassId!.Value, cancellationToken);
        var stats = new List<LabellerStats>();
        foreach (var user in userIds)
        {
            var mine = events.Where(e => e.UserId == user).ToList();
            var votes = mine.Where(e => e.Kind is LabelEventKind.Label or LabelEventKind.Noise or LabelEventKind.Reject && !undone.Contains(e.Id)).ToList();
            // Active time: gaps between one's consecutive events, a pause over five minutes counted as five.
            var active = mine.Zip(mine.Skip(1), (a, b) => Math.Min((b.CreatedAt - a.CreatedAt).TotalHours, 5 / 60.0)).Sum();
            var compared = withVotes.Where(i => i.Consensus is not null).SelectMany(i => i.Votes.Where(v => v.UserId == user).Select(v => v.Value == i.Consensus)).ToList();
            var shown = votes.Where(e => e.SuggestedClassId is not null).ToList();
            var withImport = withVotes.Where(i => imported.ContainsKey(i.ImageId))
                .SelectMany(i => i.Votes.Where(v => v.UserId == user && !v.Value.Rejected).Select(v => (i.ImageId, v.Value))).ToList();
            stats.Add(new LabellerStats(user, names.GetValueOrDefault(user, user), mine.Count, votes.Count, active > 0 ? votes.Count / active : null,
                compared.Count, compared.Count == 0 ? null : compared.Count(c => c) / (double)compared.Count,
                shown.Count, shown.Count(e => e.ClassId == e.SuggestedClassId))
            {
                ComparedWithImport = withImport.Count,
                AgreedWithImport = withImport.Count(v => v.Value.ClassId == imported[v.ImageId]),
            });
        }

        var pairs = new List<PairAgreement>();
        for (var a = 0; a < userIds.Count; a++)
        {
            for (var b = a + 1; b < userIds.Count; b++)
            {
                var (ua, ub) = (userIds[a], userIds[b]);
                var both = withVotes.Select(i => (A: i.Votes.FirstOrDefault(v => v.UserId == ua), B: i.Votes.FirstOrDefault(v => v.UserId == ub)))
                    .Where(p => p.A.UserId is not null && p.B.UserId is not null).Select(p => (p.A.Value, p.B.Value)).ToList();
                if (both.Count > 0)
                {
                    pairs.Add(new PairAgreement(names.GetValueOrDefault(ua, ua), names.GetValueOrDefault(ub, ub), both.Count, Agreement.CohensKappa(both)));
                }
            }
        }

        var raters = Math.Max(2, board.Overlap);
        var fleissRows = withVotes.Where(i => i.Votes.Count == raters).Select(i => (IReadOnlyCollection<LabelValue>)[.. i.Votes.Select(v => v.Value)]).ToList();
        return new AgreementReport(board.Overlap, withVotes.Count,
            withVotes.Count(i => i.Consensus is not null), withVotes.Count(i => i.Consensus is null && i.Votes.Count >= board.Overlap),
            board.Images.Values.Count(i => i.Final is not null), fleissRows.Count, Agreement.FleissKappa(fleissRows, raters), stats, pairs);
    }
}
