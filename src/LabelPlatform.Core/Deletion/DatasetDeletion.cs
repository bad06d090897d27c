using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Search;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Deletion;

/// <summary>A deletion that must not happen now (a job or crawl still running); nothing was changed.</summary>
public sealed class DeletionRefusedException(string message) : Exception(message);

/// <summary>
/// What deleting a dataset does, counted before anything happens: rows removed, files removed from the
/// content-addressed store (those no image of another dataset shares), and the finished evaluation runs kept as a
/// record (their reports stay readable and say the dataset was deleted). <see cref="Refusal"/> says why it cannot
/// happen now.
/// </summary>
public sealed record DatasetDeletionPlan(
    int DatasetId, string Name, int Images, int FilesRemoved, int FilesKept, int LabelEvents, int Votes, int FinalLabels,
    int Embeddings, int Maps, int Crawls, int Splits, int EvaluationsKept, int EvaluationsRemoved, int ReviewFlags, int Classes, string? Refusal);

/// <summary>
/// Deletes a dataset with everything that belongs to it, in one transaction, then sweeps its files. Finished
/// evaluation runs are kept (their dataset and split ids are plain columns, no foreign keys); unfinished ones have
/// nothing to keep and go. Job runs stay in the job history; queued ones are cancelled. Refused while one of its jobs
/// or crawls runs. Shared by the admin page and the CLI's delete-dataset.
/// </summary>
public sealed class DatasetDeletion(IDbContextFactory<PlatformDbContext> contexts, ImageDeletion images, SearchService search, UniquenessScores uniqueness, TimeProvider clock)
{
    public async Task<DatasetDeletionPlan?> PlanAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(cancellationToken);
        if (name is null)
        {
            return null;
        }

        var mine = db.Images.Where(i => i.DatasetId == datasetId);
        var files = await mine.Select(i => i.Sha256).Distinct().ToListAsync(cancellationToken);
        var shared = await db.Images.Where(i => i.DatasetId != datasetId && files.Contains(i.Sha256)).Select(i => i.Sha256).Distinct().CountAsync(cancellationToken);
        var splits = db.EvaluationSplits.Where(s => s.DatasetId == datasetId);
        var runs = db.EvaluationRuns.Where(r => r.DatasetId == datasetId);
        return new DatasetDeletionPlan(datasetId, name,
            Images: await mine.CountAsync(cancellationToken),
            FilesRemoved: files.Count - shared,
            FilesKept: shared,
            LabelEvents: await db.LabelEvents.CountAsync(e => e.DatasetId == datasetId, cancellationToken),
            Votes: await db.LabelVotes.CountAsync(v => v.DatasetId == datasetId, cancellationToken),
            FinalLabels: await db.FinalLabels.CountAsync(f => f.DatasetId == datasetId, cancellationToken),
            Embeddings: await db.Embeddings.CountAsync(e => mine.Any(i => i.Id == e.ImageId), cancellationToken),
            Maps: await db.EmbeddingMaps.CountAsync(m => m.DatasetId == datasetId, cancellationToken),
            Crawls: await db.Crawls.CountAsync(c => c.DatasetId == datasetId, cancellationToken),
            Splits: await splits.CountAsync(cancellationToken),
            EvaluationsKept: await runs.CountAsync(r => r.ReportGzip != null, cancellationToken),
            EvaluationsRemoved: await runs.CountAsync(r => r.ReportGzip == null, cancellationToken),
            ReviewFlags: await db.ReviewFlags.CountAsync(f => f.DatasetId == datasetId, cancellationToken),
            Classes: await db.ImageClasses.CountAsync(c => c.DatasetId == datasetId, cancellationToken),
            Refusal: await RefusalAsync(db, datasetId, cancellationToken));
    }

    /// <summary>Deletes the dataset; returns the plan it carried out (counted just before, inside the same checks).</summary>
    /// <exception cref="DeletionRefusedException">A job or crawl of the dataset is running.</exception>
    public async Task<DatasetDeletionPlan?> DeleteAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        var plan = await PlanAsync(datasetId, cancellationToken);
        if (plan is null)
        {
            return null;
        }

        if (plan.Refusal is { } refusal)
        {
            throw new DeletionRefusedException(refusal);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var files = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId).Select(i => new { i.Sha256, i.Format }).ToListAsync(cancellationToken);
        await using (var tx = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            // Checked again inside the transaction: a job started since the plan was counted stops the deletion.
            if (await RefusalAsync(db, datasetId, cancellationToken) is { } late)
            {
                throw new DeletionRefusedException(late);
            }

            var mine = db.Images.Where(i => i.DatasetId == datasetId);
            var crawls = db.Crawls.Where(c => c.DatasetId == datasetId);
            // Children before parents, as the foreign keys require; review flags go with their images' cascade.
            await db.LabelVotes.Where(v => v.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.LabelLeases.Where(l => l.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.FinalLabels.Where(f => f.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.LabelEvents.Where(e => e.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.LabelSubmissions.Where(s => s.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.ReviewFlags.Where(f => f.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.Embeddings.Where(e => mine.Any(i => i.Id == e.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.EmbeddingMaps.Where(m => m.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.SplitImages.Where(s => db.EvaluationSplits.Any(x => x.Id == s.SplitId && x.DatasetId == datasetId)).ExecuteDeleteAsync(cancellationToken);
            await db.EvaluationRuns.Where(r => r.DatasetId == datasetId && r.ReportGzip == null).ExecuteDeleteAsync(cancellationToken);
            await db.EvaluationSplits.Where(s => s.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.ImageProvenance.Where(p => mine.Any(i => i.Id == p.ImageId) || crawls.Any(c => c.Id == p.CrawlId)).ExecuteDeleteAsync(cancellationToken);
            await db.CrawlUrls.Where(u => crawls.Any(c => c.Id == u.CrawlId)).ExecuteDeleteAsync(cancellationToken);
            await db.CrawlHosts.Where(h => crawls.Any(c => c.Id == h.CrawlId)).ExecuteDeleteAsync(cancellationToken);
            await crawls.ExecuteDeleteAsync(cancellationToken);
            await db.DuplicateFiles.Where(d => d.DatasetId == datasetId || mine.Any(i => i.Id == d.ImageId)).ExecuteDeleteAsync(cancellationToken);
            await db.RejectedFiles.Where(r => r.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.LabellingSettings.Where(s => s.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            await db.Images.Where(i => i.DatasetId != datasetId && i.NearDuplicateOfId != null && mine.Any(m => m.Id == i.NearDuplicateOfId))
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.NearDuplicateOfId, (long?)null), cancellationToken);
            await mine.ExecuteDeleteAsync(cancellationToken);
            await db.ImageClasses.Where(c => c.DatasetId == datasetId).ExecuteDeleteAsync(cancellationToken);
            // Job runs stay in the history; one queued for the dataset must not start on what is gone.
            var now = clock.GetUtcNow();
            await db.JobRuns.Where(j => j.DatasetId == datasetId && j.State == JobState.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Cancelled).SetProperty(j => j.Message, "dataset deleted").SetProperty(j => j.FinishedAt, now), cancellationToken);
            await db.Datasets.Where(d => d.Id == datasetId).ExecuteDeleteAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        await images.RemoveUnreferencedFilesAsync(files.Select(f => (f.Sha256, f.Format)), cancellationToken);
        search.Forget(datasetId);
        uniqueness.Forget(datasetId);
        return plan;
    }

    private static async Task<string?> RefusalAsync(PlatformDbContext db, int datasetId, CancellationToken cancellationToken)
    {
        var crawl = await db.Crawls.AsNoTracking().Where(c => c.DatasetId == datasetId && (c.State == CrawlState.Running || c.State == CrawlState.Queued))
            .Select(c => (int?)c.Id).FirstOrDefaultAsync(cancellationToken);
        if (crawl is { } c)
        {
            return $"Crawl {c} of this dataset is running: cancel it first (Admin › Crawls), then delete the dataset.";
        }

        var job = await db.JobRuns.AsNoTracking().Where(j => j.DatasetId == datasetId && j.State == JobState.Running)
            .Select(j => new { j.Id, j.Kind }).FirstOrDefaultAsync(cancellationToken);
        return job is null ? null : $"Job run {job.Id} ({job.Kind}) of this dataset is running: cancel it or let it finish first (Admin › Jobs).";
    }
}
