using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Deletion;

/// <summary>
/// What deleting a crawl does, counted first: its frontier (URLs), the images it stored with their labels, vectors
/// and files (those no other image shares), and the evaluation runs whose split held some of those images (kept, but
/// their split no longer holds them). <see cref="Refusal"/>: a running crawl must be cancelled first.
/// </summary>
public sealed record CrawlDeletionPlan(int CrawlId, int DatasetId, CrawlState State, int Urls, int Images, int FilesRemoved, int FilesKept,
    int LabelEvents, int Embeddings, int EvaluationsAffected, string? Refusal);

/// <summary>
/// Deletes a crawl: its images through <see cref="ImageDeletion"/> (every row that refers to them, then their files),
/// then its URLs and the crawl row. Refused while the crawl is queued or running; shared by the page and the CLI.
/// </summary>
public sealed class CrawlDeletion(IDbContextFactory<PlatformDbContext> contexts, ImageDeletion images)
{
    public async Task<CrawlDeletionPlan?> PlanAsync(int crawlId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var crawl = await db.Crawls.AsNoTracking().FirstOrDefaultAsync(c => c.Id == crawlId, cancellationToken);
        if (crawl is null)
        {
            return null;
        }

        var ids = db.ImageProvenance.Where(p => p.CrawlId == crawlId).Select(p => p.ImageId);
        var files = await db.Images.Where(i => ids.Contains(i.Id)).Select(i => i.Sha256).Distinct().ToListAsync(cancellationToken);
        var kept = await db.Images.Where(i => !ids.Contains(i.Id) && files.Contains(i.Sha256)).Select(i => i.Sha256).Distinct().CountAsync(cancellationToken);
        var splits = db.SplitImages.Where(s => ids.Contains(s.ImageId)).Select(s => s.SplitId).Distinct();
        return new CrawlDeletionPlan(crawlId, crawl.DatasetId, crawl.State,
            Urls: await db.CrawlUrls.CountAsync(u => u.CrawlId == crawlId, cancellationToken),
            Images: await ids.CountAsync(cancellationToken),
            FilesRemoved: files.Count - kept,
            FilesKept: kept,
            LabelEvents: await db.LabelEvents.CountAsync(e => ids.Contains(e.ImageId), cancellationToken),
            Embeddings: await db.Embeddings.CountAsync(e => ids.Contains(e.ImageId), cancellationToken),
            EvaluationsAffected: await db.EvaluationRuns.CountAsync(r => splits.Contains(r.SplitId), cancellationToken),
            Refusal: crawl.State is CrawlState.Running or CrawlState.Queued
                ? $"Crawl {crawlId} is {crawl.State.ToString().ToLowerInvariant()}: cancel it first (its page's Cancel), then delete it."
                : null);
    }

    /// <exception cref="DeletionRefusedException">The crawl is queued or running.</exception>
    public async Task<CrawlDeletionPlan?> DeleteAsync(int crawlId, CancellationToken cancellationToken = default)
    {
        var plan = await PlanAsync(crawlId, cancellationToken);
        if (plan is null)
        {
            return null;
        }

        if (plan.Refusal is { } refusal)
        {
            throw new DeletionRefusedException(refusal);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // Claimed first: a resume that slips in after the plan finds the crawl cancelled and stores nothing more.
        var claimed = await db.Crawls.Where(c => c.Id == crawlId && c.State != CrawlState.Running && c.State != CrawlState.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, CrawlState.Cancelled).SetProperty(c => c.Message, "being deleted"), cancellationToken);
        if (claimed == 0)
        {
            throw new DeletionRefusedException($"Crawl {crawlId} started again meanwhile: cancel it first, then delete it.");
        }

        var ids = await db.ImageProvenance.AsNoTracking().Where(p => p.CrawlId == crawlId).Select(p => p.ImageId).ToListAsync(cancellationToken);
        await images.DeleteAsync(plan.DatasetId, ids, cancellationToken);
        await using (var tx = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.ImageProvenance.Where(p => p.CrawlId == crawlId).ExecuteDeleteAsync(cancellationToken);
            await db.CrawlUrls.Where(u => u.CrawlId == crawlId).ExecuteDeleteAsync(cancellationToken);
            await db.CrawlHosts.Where(h => h.CrawlId == crawlId).ExecuteDeleteAsync(cancellationToken);
            await db.Crawls.Where(c => c.Id == crawlId).ExecuteDeleteAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        return plan;
    }
}
