using LabelPlatform.Core.Data;
using LabelPlatform.Core.Images;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Datasets;

/// <summary>What a deletion did: image rows removed, files removed from the store, files kept because another image row has the same bytes.</summary>
public sealed record ImageDeletionResult(int Images, int FilesDeleted, int FilesKept);

/// <summary>
/// Deletes images of a dataset with every row that refers to them, and their stored files when no other image row
/// (in any dataset) has the same bytes: the store is content-addressed, so one file can back images of two datasets.
/// The referring rows are deleted explicitly rather than left to the foreign keys' cascades, so the list below is the
/// whole story: embeddings, split membership (an evaluation keeps its stored report, but its split no longer holds
/// these images, so a re-run on that split measures something else), crawl provenance, duplicate-copy records,
/// leases, votes, final labels and the images' label events. Label events are the append-only audit trail, but
/// they name the image by a foreign key, so an image cannot go while they stay: they go with it. Submissions (the
/// batches events came in) are kept. Near-duplicate links to a deleted image are cleared. Review flags go by their
/// foreign key's cascade (the Review feature sits above this one).
/// </summary>
public sealed class ImageDeletion(IDbContextFactory<PlatformDbContext> contexts, ImageStore store)
{
    public async Task<ImageDeletionResult> DeleteAsync(int datasetId, IReadOnlyCollection<long> imageIds, CancellationToken cancellationToken = default)
    {
        var wanted = imageIds.Distinct().ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId && wanted.Contains(i.Id))
            .Select(i => new { i.Id, i.Sha256, i.Format }).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return new ImageDeletionResult(0, 0, 0);
        }

        var ids = rows.Select(r => r.Id).ToList();
        await using (var tx = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // Votes point at events, so they go first; events last before the images.
            await db.LabelVotes.Where(v => ids.Contains(v.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.LabelLeases.Where(l => ids.Contains(l.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.FinalLabels.Where(f => ids.Contains(f.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.Embeddings.Where(e => ids.Contains(e.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.SplitImages.Where(s => ids.Contains(s.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.ImageProvenance.Where(p => ids.Contains(p.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.DuplicateFiles.Where(d => ids.Contains(d.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.LabelEvents.Where(e => ids.Contains(e.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.Images.Where(i => i.NearDuplicateOfId != null && ids.Contains(i.NearDuplicateOfId.Value))
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.NearDuplicateOfId, (long?)null), cancellationToken);
            await db.Images.Where(i => ids.Contains(i.Id)).ExecuteDeleteAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        // After the commit, so a failed transaction never loses a file; checked per file against every dataset.
        var (deleted, kept) = await RemoveUnreferencedFilesAsync(rows.Select(r => (r.Sha256, r.Format)), cancellationToken);
        return new ImageDeletionResult(rows.Count, deleted, kept);
    }

    /// <summary>
    /// Removes the stored original and thumbnail of each file that no image row (in any dataset) refers to any more;
    /// call after the rows are gone. Returns files removed and files kept because an image still has those bytes.
    /// </summary>
    public async Task<(int Deleted, int Kept)> RemoveUnreferencedFilesAsync(IEnumerable<(string Sha256, string Format)> files, CancellationToken cancellationToken = default)
    {
        var distinct = files.DistinctBy(f => f.Sha256).ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        // One query per chunk rather than one per file: a dataset's deletion sweeps tens of thousands.
        foreach (var chunk in distinct.Select(f => f.Sha256).Chunk(5000))
        {
            referenced.UnionWith(await db.Images.AsNoTracking().Where(i => chunk.Contains(i.Sha256)).Select(i => i.Sha256).Distinct().ToListAsync(cancellationToken));
        }

        var deleted = 0;
        foreach (var file in distinct.Where(f => !referenced.Contains(f.Sha256)))
        {
            await store.DeleteAsync(file.Sha256, file.Format, cancellationToken);
            deleted++;
        }

        return (deleted, distinct.Count - deleted);
    }
}
