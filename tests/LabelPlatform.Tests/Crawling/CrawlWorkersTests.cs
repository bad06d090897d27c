using System.Collections.Concurrent;
using System.Diagnostics;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Crawling;

/// <summary>
/// Two crawl workers on one crawl: two platforms over one database (their own service providers, connection pools,
/// robots caches and in-process politeness, as two machines would have), the run on one and an extra fetcher on the
/// other, against a loopback site that logs every request with its arrival time.
/// </summary>
public class CrawlWorkersTests
{
    private const int Pages = 50;
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(400);

    // Arrival times are read on the site, a moment after the fetcher took its turn: on a loaded machine one request may
    // take tens of milliseconds longer from turn to site than the next one does. A fifth of the delay; two workers
    // that each kept only their own delay would land at about half of it.
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(80);

    [Fact]
    public async Task Two_workers_never_request_a_url_twice_and_keep_the_per_host_delay_between_them()
    {
        var log = new ConcurrentQueue<(long At, string Path)>();
        await using var site = await RecordingSite.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                log.Enqueue((Stopwatch.GetTimestamp(), context.Request.Path + context.Request.QueryString));
                await next();
            });
            app.MapGet("/warm", () => "ok");
            app.MapGet("/robots.txt", context => RecordingSite.Bytes(context, "text/plain", "User-agent: *\nAllow: /\n"u8.ToArray()));
            // Each page links to the next two: the frontier is wide enough that both workers always have work.
            app.MapGet("/p/{n:int}", (HttpContext context, int n) => RecordingSite.Html(context,
                $"<title>p{n}</title>" + string.Concat(new[] { n + 1, n + 2, 0 }.Where(k => k < Pages).Select(k => $"<a href='/p/{k}'>p{k}</a>"))));
        });
        // The site's first answer pays its own start-up (JIT, pipeline): warmed first, so the log's times are the
        // arrival times of the crawl's requests and not the server's cold start.
        using (var warm = new HttpClient())
        {
            Assert.Equal("ok", await warm.GetStringAsync(site.BaseUrl + "/warm"));
        }

        log.Clear();
        var settings = CrawlRunning.Settings(("Crawler:PerHostDelay", Delay.ToString()), ("Crawler:Concurrency", "4"));
        await using var first = await CorePlatform.StartAsync(settings);
        await using var second = await CorePlatform.AlongsideAsync(first, settings);
        var (crawl, run) = await CrawlRunning.CreateAsync(first, "two-workers", first.Get<CrawlService>().BuildSettings([site.BaseUrl + "/p/0"], 100, 100, 0, null));

        var main = CrawlRunning.RunAsync(first, run.Id);
        var helper = second.Get<CrawlRunner>().FetchAsync(run.Id, CancellationToken.None);
        var summary = await main.WaitAsync(TimeSpan.FromMinutes(3));
        var helped = await helper.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.NotNull(summary);
        Assert.Equal((Pages, 0), (summary.Pages, summary.Failed));
        var requests = log.OrderBy(r => r.At).ToList();
        var pages = requests.Where(r => r.Path.StartsWith("/p/", StringComparison.Ordinal)).ToList();
        // Every page exactly once across both workers; robots.txt once per worker (each keeps its own cache).
        Assert.Equal(Enumerable.Range(0, Pages).Select(n => $"/p/{n}").Order(StringComparer.Ordinal), pages.Select(r => r.Path).Order(StringComparer.Ordinal));
        Assert.InRange(requests.Count(r => r.Path == "/robots.txt"), 1, 2);
        Assert.Equal(requests.Count, pages.Count + requests.Count(r => r.Path == "/robots.txt"));

        // Both workers fetched a share.
        Assert.InRange(helped, 1, Pages - 1);

        var gaps = requests.Zip(requests.Skip(1), (a, b) => (Gap: Stopwatch.GetElapsedTime(a.At, b.At), a.Path, Next: b.Path)).ToList();
        var tooClose = gaps.Where(g => g.Gap < Delay - Tolerance).Select(g => $"{g.Path} -> {g.Next}: {g.Gap.TotalMilliseconds:F0} ms").ToList();
        Assert.True(tooClose.Count == 0, $"{tooClose.Count} of {gaps.Count} gaps under {Delay.TotalMilliseconds} ms: {string.Join("; ", tooClose.Take(10))}");

        await using var db = await first.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(CrawlState.Completed, (await db.Crawls.SingleAsync(c => c.Id == crawl.Id)).State);
        Assert.Equal([UrlNormalizer.Authority(new Uri(site.BaseUrl))], await db.CrawlHosts.Where(h => h.CrawlId == crawl.Id).Select(h => h.Host).ToListAsync());
    }
}
