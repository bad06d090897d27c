using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// Per-host politeness across every fetcher of a crawl, in any process on any machine: a host's next allowed request
/// time lives in the database (<see cref="CrawlHost"/>) and a fetcher takes the turn with one conditional update
/// (one row affected: this fetcher asks now and books the next turn a delay later). The in-process
/// <see cref="HostPoliteness"/> only saves round trips; this is the guard.
/// </summary>
public sealed class CrawlHostTurns(IDbContextFactory<PlatformDbContext> contexts, TimeProvider clock)
{
    public async Task TakeAsync(int crawlId, string host, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            // No delay asked for: nothing to keep apart, and no round trip per request.
            return;
        }

        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var now = clock.GetUtcNow();
            var next = now + delay;
            if (await db.CrawlHosts.Where(h => h.CrawlId == crawlId && h.Host == host && h.NextFetchAt <= now)
                    .ExecuteUpdateAsync(s => s.SetProperty(h => h.NextFetchAt, next), cancellationToken) == 1)
            {
                await KeepDelayAfterAsync(db, crawlId, host, now, next, delay, cancellationToken);
                return;
            }

            var at = await db.CrawlHosts.Where(h => h.CrawlId == crawlId && h.Host == host).Select(h => (DateTimeOffset?)h.NextFetchAt).FirstOrDefaultAsync(cancellationToken);
            if (at is null)
            {
                // The host's first request in this crawl: whoever inserts the row has the turn.
                db.CrawlHosts.Add(new CrawlHost { CrawlId = crawlId, Host = host, NextFetchAt = next });
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                    await KeepDelayAfterAsync(db, crawlId, host, now, next, delay, cancellationToken);
                    return;
                }
                catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
                {
                    continue;
                }
            }

            // Wake a little late rather than early: an early wake costs a round trip for nothing.
            var wait = at.Value - clock.GetUtcNow() + TimeSpan.FromMilliseconds(1);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The turn was booked from the time the round trip began; when the database took long (a cold start, a busy
    /// server) the request goes out that much later, so the next turn moves with it: the delay is kept between the
    /// requests, not between the bookings.
    /// </summary>
    private async Task KeepDelayAfterAsync(PlatformDbContext db, int crawlId, string host, DateTimeOffset booked, DateTimeOffset next, TimeSpan delay, CancellationToken cancellationToken)
    {
        var sent = clock.GetUtcNow();
        if (sent - booked > Slack)
        {
            var later = sent + delay;
            await db.CrawlHosts.Where(h => h.CrawlId == crawlId && h.Host == host && h.NextFetchAt == next)
                .ExecuteUpdateAsync(s => s.SetProperty(h => h.NextFetchAt, later), cancellationToken);
        }
    }

    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// After a request to the host has been answered: the next turn is at least a delay after now. A turn is booked
    /// before its request leaves, and the time from turn to site varies (a new connection, a loaded machine); from the
    /// answer on, the request has surely arrived, so no fetcher's next request comes closer than the delay.
    /// </summary>
    public async Task AnsweredAsync(int crawlId, string host, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var later = clock.GetUtcNow() + delay;
        await db.CrawlHosts.Where(h => h.CrawlId == crawlId && h.Host == host && h.NextFetchAt < later)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.NextFetchAt, later), cancellationToken);
    }
}
