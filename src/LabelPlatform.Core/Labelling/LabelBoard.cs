using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

/// <summary>One image's human labels: the current votes, the consensus (if the overlap is met with a majority) and the final label.</summary>
public sealed record ImageLabels(long ImageId, IReadOnlyList<(string UserId, LabelValue Value)> Votes, LabelValue? Consensus, LabelValue? Final, int? FinalVersion)
{
    /// <summary>The human label that wins: the reviewer's, else the consensus; null when neither exists.</summary>
    public LabelValue? Decided => Final ?? Consensus;
}

/// <summary>The human side of a dataset's labels at one moment: votes, consensus and final labels per image.</summary>
public sealed record LabelBoard(int DatasetId, int Overlap, IReadOnlyDictionary<long, ImageLabels> Images)
{
    /// <summary>Reads the dataset's votes and final labels (two queries) and draws each image's consensus.</summary>
    public static async Task<LabelBoard> LoadAsync(PlatformDbContext db, int datasetId, CancellationToken cancellationToken)
    {
        var overlap = await db.LabellingSettings.Where(s => s.DatasetId == datasetId).Select(s => (int?)s.Overlap).FirstOrDefaultAsync(cancellationToken)
            ?? LabellingSettings.DefaultOverlap;
        var votes = await db.LabelVotes.AsNoTracking().Where(v => v.DatasetId == datasetId && v.Kind != LabelEventKind.Skip)
            .Select(v => new { v.ImageId, v.UserId, v.Kind, v.ClassId }).ToListAsync(cancellationToken);
        var finals = await db.FinalLabels.AsNoTracking().Where(f => f.DatasetId == datasetId)
            .Select(f => new { f.ImageId, f.ClassId, f.Rejected, f.Version }).ToDictionaryAsync(f => f.ImageId, cancellationToken);
        var byImage = votes.GroupBy(v => v.ImageId).ToDictionary(g => g.Key, g => g.Select(v => (v.UserId, Value: LabelValue.FromVote(v.Kind, v.ClassId)!.Value)).OrderBy(v => v.UserId, StringComparer.Ordinal).ToList());
        var images = new Dictionary<long, ImageLabels>();
        foreach (var id in byImage.Keys.Union(finals.Keys))
        {
            var list = byImage.GetValueOrDefault(id) ?? [];
            var final = finals.TryGetValue(id, out var f) ? new LabelValue(f.ClassId, f.Rejected) : (LabelValue?)null;
            images[id] = new ImageLabels(id, list, Agreement.Consensus([.. list.Select(v => v.Value)], overlap), final, f?.Version);
        }

        return new LabelBoard(datasetId, overlap, images);
    }
}
