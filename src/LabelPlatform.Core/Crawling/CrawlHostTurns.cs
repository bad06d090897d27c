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
                    return;
                }
                catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
                {
                    continue;
                }
            }

            var wait = at.Value - clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock, cancellationToken);
            }
        }
    }
}
