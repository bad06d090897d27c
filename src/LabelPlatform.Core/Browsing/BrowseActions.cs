using System.Text;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Review;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Browsing;

/// <summary>A selection the browser refuses: empty, too large, or images of another dataset.</summary>
public sealed class BrowseSelectionException(string message) : Exception(message);

/// <summary>What a bulk decision did: images decided now, already decided by this same form (a resubmission), and per-image failures.</summary>
public sealed record BulkDecision(int Decided, int Repeated, IReadOnlyList<string> Failures);

/// <summary>
/// The browser's bulk actions on a selection, each through the service other callers use: review decisions through
/// <see cref="ReviewDecisions.SetFinalAsync"/> (one event per image, the version check included), deletion through
/// <see cref="ImageDeletion"/>, flags for the Flagged review queue through <see cref="ReviewFlagging"/>, and a CSV of the selection.
/// </summary>
public sealed class BrowseActions(IDbContextFactory<PlatformDbContext> contexts, ReviewDecisions decisions, ImageDeletion deletion, ReviewFlagging flags)
{
    /// <summary>Most images one post may act on: a browser page holds at most 240, and a bulk write holds the labelling lock per image.</summary>
    public const int MaxSelection = 500;

    /// <summary>
    /// Sets the final label of every selected image to the class, or to rejected. <paramref name="batch"/> is a token
    /// rendered with the form: a resubmitted form finds its decisions stored and writes nothing twice.
    /// </summary>
    public async Task<BulkDecision> DecideAsync(int datasetId, IReadOnlyList<long> imageIds, int? classId, bool reject, string userId, string batch, CancellationToken cancellationToken = default)
    {
        var ids = await CheckAsync(datasetId, imageIds, cancellationToken);
        Dictionary<long, int?> versions;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            versions = await db.FinalLabels.AsNoTracking().Where(f => f.DatasetId == datasetId && ids.Contains(f.ImageId))
                .ToDictionaryAsync(f => f.ImageId, f => (int?)f.Version, cancellationToken);
        }

        var action = reject ? "x" : $"c{classId}";
        var (decided, repeated, failures) = (0, 0, new List<string>());
        foreach (var id in ids)
        {
            try
            {
                var result = await decisions.SetFinalAsync(new ReviewRequest(datasetId, id, userId, $"browse-{batch}-{action}-{id}", reject ? null : classId, reject, versions.GetValueOrDefault(id)), cancellationToken);
                if (result.Duplicate)
                {
                    repeated++;
                }
                else
                {
                    decided++;
                }
            }
            catch (Exception ex) when (ex is LabellingException or LabelConflictException)
            {
                failures.Add($"image {id}: {ex.Message}");
            }
        }

        return new BulkDecision(decided, repeated, failures);
    }

    /// <summary>Sends the selection to review: each image waits in the Flagged queue until a decision is made on it.</summary>
    public async Task<FlagResult> FlagAsync(int datasetId, IReadOnlyList<long> imageIds, string userId, string? note, CancellationToken cancellationToken = default) =>
        await flags.FlagAsync(datasetId, await CheckAsync(datasetId, imageIds, cancellationToken), userId, note, cancellationToken);

    public async Task<ImageDeletionResult> DeleteAsync(int datasetId, IReadOnlyList<long> imageIds, CancellationToken cancellationToken = default) =>
        await deletion.DeleteAsync(datasetId, await CheckAsync(datasetId, imageIds, cancellationToken), cancellationToken);

    /// <summary>id, sha256, origin, import label, final label: one row per selected image, every cell through <see cref="CsvCell.Text"/>.</summary>
    public async Task<string> CsvAsync(int datasetId, IReadOnlyList<long> imageIds, CancellationToken cancellationToken = default)
    {
        var ids = await CheckAsync(datasetId, imageIds, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var names = await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Id, c => c.Name, cancellationToken);
        var images = await db.Images.AsNoTracking().Where(i => ids.Contains(i.Id)).OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.Sha256, i.Origin, i.SourceClassId }).ToListAsync(cancellationToken);
        var finals = await db.FinalLabels.AsNoTracking().Where(f => ids.Contains(f.ImageId)).ToDictionaryAsync(f => f.ImageId, cancellationToken);
        var csv = new StringBuilder("id,sha256,origin,import_label,final_label\n");
        foreach (var i in images)
        {
            var final = finals.TryGetValue(i.Id, out var f) ? LabelNames.Describe(new LabelValue(f.ClassId, f.Rejected), names) : null;
            var import = i.SourceClassId is { } c ? names.GetValueOrDefault(c) : null;
            csv.AppendJoin(',', CsvCell.Text(i.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), CsvCell.Text(i.Sha256), CsvCell.Text(i.Origin), CsvCell.Text(import), CsvCell.Text(final)).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>The distinct ids, all of this dataset, 1..<see cref="MaxSelection"/> of them; otherwise nothing is done.</summary>
    private async Task<List<long>> CheckAsync(int datasetId, IReadOnlyList<long> imageIds, CancellationToken cancellationToken)
    {
        var ids = imageIds.Distinct().ToList();
        if (ids.Count == 0)
        {
            throw new BrowseSelectionException("Select at least one image.");
        }

        if (ids.Count > MaxSelection)
        {
            throw new BrowseSelectionException($"{ids.Count} images selected: one action takes at most {MaxSelection}. Nothing was changed.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await db.Images.CountAsync(i => i.DatasetId == datasetId && ids.Contains(i.Id), cancellationToken);
        if (found != ids.Count)
        {
            throw new BrowseSelectionException($"{ids.Count - found} of the selected images are not in this dataset (deleted meanwhile?). Nothing was changed.");
        }

        return ids;
    }
}
