using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// The frontier's claims and totals. A claim is a conditional update (Queued → Fetching), so of any number of
/// fetchers, in one process or many on one database, exactly one gets each URL. A claim carries its fetcher's name
/// and a lease (the job lease's length) that the living fetcher renews: a killed fetcher's claims lapse and are
/// taken back by whichever fetcher looks next.
/// </summary>
public sealed class CrawlFrontier(IDbContextFactory<PlatformDbContext> contexts, JobRunService runs, TimeProvider clock)
{
    internal const string InterruptedReason = "interrupted: the worker stopped while this request was in flight; not requested again (a crawl requests each URL at most once)";

    public TimeSpan ClaimLease => runs.LeaseDuration;

    public async Task<CrawlCounts> CountAsync(int crawlId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return CrawlCounts.From(await CountRowsAsync(db, crawlId, cancellationToken));
    }

    internal static async Task<Dictionary<(CrawlUrlKind Kind, CrawlUrlStatus Status), int>> CountRowsAsync(PlatformDbContext db, int crawlId, CancellationToken cancellationToken)
    {
        var rows = await db.CrawlUrls.Where(u => u.CrawlId == crawlId).GroupBy(u => new { u.Kind, u.Status })
            .Select(g => new { g.Key.Kind, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => (r.Kind, r.Status), r => r.Count);
    }

    /// <summary>Queued → Fetching, atomically: false when another fetcher has claimed the URL or it is no longer queued.</summary>
    internal async Task<bool> ClaimAsync(long urlId, string owner, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var until = clock.GetUtcNow() + ClaimLease;
        return await db.CrawlUrls.Where(u => u.Id == urlId && u.Status == CrawlUrlStatus.Queued)
            .ExecuteUpdateAsync(s => s
                .SetProperty(u => u.Status, CrawlUrlStatus.Fetching)
                .SetProperty(u => u.ClaimedBy, owner)
                .SetProperty(u => u.ClaimExpiresAt, until), cancellationToken) == 1;
    }

    /// <summary>Keeps a living fetcher's claims from lapsing.</summary>
    internal async Task RenewClaimsAsync(int crawlId, string owner, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var until = clock.GetUtcNow() + ClaimLease;
        await db.CrawlUrls.Where(u => u.CrawlId == crawlId && u.Status == CrawlUrlStatus.Fetching && u.ClaimedBy == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.ClaimExpiresAt, until), cancellationToken);
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
    /// A URL whose claim lapsed was in flight when its fetcher died (or lost its lease): the site may have answered
    /// it, so it is recorded as interrupted rather than requested a second time. Claims of living fetchers stay.
    /// </summary>
    internal async Task MarkLeftoverClaimsAsync(int crawlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        await MarkInterruptedAsync(db.CrawlUrls.Where(u => u.CrawlId == crawlId && u.Status == CrawlUrlStatus.Fetching && (u.ClaimExpiresAt == null || u.ClaimExpiresAt < now)), cancellationToken);
    }

    /// <summary>Whether some fetcher still holds a claim: its page may yet add URLs, so the crawl is not done.</summary>
    internal async Task<bool> AnyClaimedAsync(int crawlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.CrawlUrls.AnyAsync(u => u.CrawlId == crawlId && u.Status == CrawlUrlStatus.Fetching, cancellationToken);
    }

    /// <summary>Records claimed URLs whose request may have reached the site as failed (interrupted), never to be sent again.</summary>
    private Task<int> MarkInterruptedAsync(IQueryable<CrawlUrl> claimed, CancellationToken cancellationToken) =>
        claimed.ExecuteUpdateAsync(s => s
            .SetProperty(u => u.Status, CrawlUrlStatus.Failed)
            .SetProperty(u => u.Reason, InterruptedReason)
            .SetProperty(u => u.FetchedAt, clock.GetUtcNow()), cancellationToken);
}
