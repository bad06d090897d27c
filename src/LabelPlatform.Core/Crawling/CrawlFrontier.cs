using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// The frontier's claims and totals. A claim is a conditional update (Queued → Fetching), so of any number of
/// fetchers, in one process or many on one database, exactly one gets each URL.
/// </summary>
public sealed class CrawlFrontier(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock)
{
    internal const string InterruptedReason = "interrupted: the worker stopped while this request was in flight; not requested again (a crawl requests each URL at most once)";

    public async Task<CrawlCounts> CountAsync(int crawlId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.CrawlUrls.Where(u => u.CrawlId == crawlId).GroupBy(u => new { u.Kind, u.Status })
            .Select(g => new { g.Key.Kind, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        return CrawlCounts.From(rows.ToDictionary(r => (r.Kind, r.Status), r => r.Count));
    }

    /// <summary>Queued → Fetching, atomically: false when another run has claimed the URL or it is no longer queued.</summary>
    internal async Task<bool> ClaimAsync(long urlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.CrawlUrls.Where(u => u.Id == urlId && u.Status == CrawlUrlStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, CrawlUrlStatus.Fetching), cancellationToken) == 1;
    }

    /// <summary>Ends a claim that was cut off: back to the queue if nothing was sent, otherwise failed as interrupted.</summary>
    internal async Task ReleaseClaimAsync(long urlId, bool requestSent)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        var claimed = db.CrawlUrls.Where(u => u.Id == urlId && u.Status == CrawlUrlStatus.Fetching);
        if (requestSent)
        {
            await MarkInterruptedAsync(claimed, CancellationToken.None);
        }
        else
        {
            await claimed.ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, CrawlUrlStatus.Queued), CancellationToken.None);
        }
    }

    /// <summary>
    /// A URL still claimed for a fetch was in flight when a worker died (or lost its lease): the site may have
    /// answered it, so it is recorded as interrupted rather than requested a second time.
    /// </summary>
    internal async Task MarkLeftoverClaimsAsync(int crawlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await MarkInterruptedAsync(db.CrawlUrls.Where(u => u.CrawlId == crawlId && u.Status == CrawlUrlStatus.Fetching), cancellationToken);
    }

    /// <summary>Records claimed URLs whose request may have reached the site as failed (interrupted), never to be sent again.</summary>
    private Task<int> MarkInterruptedAsync(IQueryable<CrawlUrl> claimed, CancellationToken cancellationToken) =>
        claimed.ExecuteUpdateAsync(s => s
            .SetProperty(u => u.Status, CrawlUrlStatus.Failed)
            .SetProperty(u => u.Reason, InterruptedReason)
            .SetProperty(u => u.FetchedAt, clock.GetUtcNow()), cancellationToken);
}
