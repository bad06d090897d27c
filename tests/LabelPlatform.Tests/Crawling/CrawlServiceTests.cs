using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Crawling;

/// <summary>
/// A whole crawl of a hostile loopback site: robots.txt rules and a robots.txt that answers 500, a redirect loop,
/// redirects to a private address and to a canary on a loopback address outside the allow-list, an endless body, a
/// slow drip, a gzip bomb, 100,000 nested elements, HTML served as image/jpeg, broken images, exact and near
/// duplicates under different URLs, and links out of scope. Every URL ends with a recorded outcome.
/// </summary>
public class CrawlServiceTests
{
    [Fact]
    public async Task Hostile_site_crawl_completes_with_every_outcome_recorded()
    {
        await using var canary = await RecordingSite.StartAsync(app => app.MapGet("/{**any}", () => "canary"), "127.0.0.2");
        await using var failingRobots = await RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", () => Results.StatusCode(500));
            app.MapGet("/page.html", context => RecordingSite.Html(context, "<p>should never be fetched</p>"));
        });

        var one = Pictures.Jpeg(1);
        var bomb = RecordingSite.GzipBomb();
        await using var site = await RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", () => "User-agent: *\nDisallow: /private/\nAllow: /private/open.html\nDisallow: /*.gif$\n");
            app.MapGet("/", context => RecordingSite.Html(context, $"""
                <html><head><title>Test gallery</title><meta property="og:image" content="/img/og.jpg"></head><body>
                <img src="/img/1.jpg" alt="a blocky picture">
                <img src="/img/2.png" srcset="/img/2-small.png 100w, /img/2.png 800w" alt="two">
                <picture><source srcset="/img/3.jpg"><img src="/img/3.jpg"></picture>
                <a href="/img/4.jpg">full size</a>
                <img src="/img/copy-of-1.jpg"><img src="/img/near-1.jpg"><img src="/img/fake.jpg"><img src="/img/broken.jpg">
                <img src="/img/icon.png"><img src="/img/anim.gif"><img src="http://example.com/x.jpg">
                <a href="/a.html">a</a> <a href="/private/secret.html">secret</a> <a href="/private/open.html">open</a>
                <a href="/loop1">loop</a> <a href="/to-private">private</a> <a href="/to-canary">canary</a>
                <a href="/endless">endless</a> <a href="/slow">slow</a> <a href="/bomb">bomb</a> <a href="/nested">nested</a>
                <a href="{failingRobots.BaseUrl}/page.html">other host</a> <a href="http://example.com/out">out</a>
                <a href="mailto:someone@example.com">mail</a>
                </body></html>
                """));
            app.MapGet("/a.html", context => RecordingSite.Html(context, "<title>A</title><a href='/'>home</a><img src='/img/5.jpg' alt='five'>"));
            app.MapGet("/private/open.html", context => RecordingSite.Html(context, "<img src='/img/6.jpg'>"));
            app.MapGet("/private/secret.html", context => RecordingSite.Html(context, "<img src='/img/secret.jpg'>"));
            app.MapGet("/loop1", () => Results.Redirect("/loop2"));
            app.MapGet("/loop2", () => Results.Redirect("/loop1"));
            app.MapGet("/to-private", () => Results.Redirect("http://10.255.255.1/x"));
            app.MapGet("/to-canary", () => Results.Redirect($"{canary.BaseUrl}/steal"));
            app.MapGet("/endless", async context =>
            {
                context.Response.ContentType = "text/html";
                var chunk = new byte[64 * 1024];
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                }
            });
            app.MapGet("/slow", async context =>
            {
                context.Response.ContentType = "text/html";
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.WriteAsync("<p>", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(200, context.RequestAborted);
                }
            });
            app.MapGet("/bomb", context =>
            {
                context.Response.Headers.ContentEncoding = "gzip";
                return RecordingSite.Bytes(context, "text/html", bomb);
            });
            app.MapGet("/nested", context => RecordingSite.Html(context, RecordingSite.Nested(100_000, "<img src='/img/7.jpg' alt='deep'>")));
            app.MapGet("/img/1.jpg", context => RecordingSite.Bytes(context, "image/jpeg", one));
            app.MapGet("/img/copy-of-1.jpg", context => RecordingSite.Bytes(context, "image/jpeg", one));
            app.MapGet("/img/near-1.jpg", context => RecordingSite.Bytes(context, "image/jpeg", Pictures.Jpeg(1, quality: 60)));
            app.MapGet("/img/2.png", context => RecordingSite.Bytes(context, "image/png", Pictures.Png(2)));
            app.MapGet("/img/2-small.png", context => RecordingSite.Bytes(context, "image/png", Pictures.Png(2, 40, 30)));
            foreach (var (name, seed) in new[] { ("3", 3), ("4", 4), ("og", 8), ("5", 5), ("6", 6), ("7", 7) })
            {
                app.MapGet($"/img/{name}.jpg", context => RecordingSite.Bytes(context, "image/jpeg", Pictures.Jpeg(seed)));
            }

            app.MapGet("/img/fake.jpg", context => RecordingSite.Bytes(context, "image/jpeg", "<html><body>not a picture</body></html>"u8.ToArray()));
            app.MapGet("/img/broken.jpg", context => RecordingSite.Bytes(context, "image/jpeg", one[..(one.Length / 2)]));
            app.MapGet("/img/icon.png", context => RecordingSite.Bytes(context, "image/png", Pictures.Png(9, 16, 16)));
            app.MapGet("/img/anim.gif", context => RecordingSite.Bytes(context, "image/gif", TestImages.Gif()));
        });

        // A short deadline for the endless /slow page (it is retried once); the rest of the site answers at once.
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings(("Crawler:FetchTimeout", "00:00:05")));
        var crawls = platform.Get<CrawlService>();
        var settings = crawls.BuildSettings([site.BaseUrl + "/"], maxDepth: 2, maxPages: 50, maxImages: 50, ["127.0.0.1", "127.0.0.2", "10.255.255.1"]);
        var (crawl, run) = await CrawlRunning.CreateAsync(platform, "crawled", settings);
        var summary = await CrawlRunning.RunAsync(platform, run.Id);

        var finished = (await platform.Get<JobRunService>().FindAsync(run.Id))!;
        Assert.True(summary is not null, $"{finished.State}: {finished.Error}");
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var rows = await db.CrawlUrls.Where(u => u.CrawlId == crawl.Id).ToListAsync();
        string Outcome(string path) => rows.Single(r => r.Url.EndsWith(path, StringComparison.Ordinal)) is var r ? $"{r.Status}: {r.Reason}" : "";

        // Every URL reached a final outcome, each with a reason where it was not plainly accepted.
        Assert.DoesNotContain(rows, r => r.Status == CrawlUrlStatus.Queued);
        Assert.StartsWith("Disallowed: robots.txt line 2", Outcome("/private/secret.html"), StringComparison.Ordinal);
        Assert.StartsWith("Disallowed", Outcome("/img/anim.gif"), StringComparison.Ordinal);
        Assert.StartsWith("Disallowed: robots.txt unreachable", Outcome(failingRobots.BaseUrl[7..] + "/page.html"), StringComparison.Ordinal);
        Assert.Equal("Failed: more than 5 redirects", Outcome("/loop1"));
        Assert.Contains("Blocked: blocked before connecting: address 10.255.255.1 is private", Outcome("/to-private"), StringComparison.Ordinal);
        Assert.Contains("Blocked: blocked before connecting: address 127.0.0.2 is loopback", Outcome("/to-canary"), StringComparison.Ordinal);
        Assert.Contains("over the 1,048,576 byte cap", Outcome("/endless"), StringComparison.Ordinal);
        Assert.Contains("after decompression", Outcome("/bomb"), StringComparison.Ordinal);
        Assert.StartsWith("Failed: no complete answer within 5 s", Outcome("/slow"), StringComparison.Ordinal);
        Assert.Equal(1, rows.Single(r => r.Url.EndsWith("/slow", StringComparison.Ordinal)).Retries);
        Assert.Equal(CrawlUrlStatus.Fetched, rows.Single(r => r.Url.EndsWith("/nested", StringComparison.Ordinal)).Status);
        Assert.Contains("not an image", Outcome("/img/fake.jpg"), StringComparison.Ordinal);
        Assert.Contains("truncated JPEG", Outcome("/img/broken.jpg"), StringComparison.Ordinal);
        Assert.Contains("16x16 is under the 32 px minimum", Outcome("/img/icon.png"), StringComparison.Ordinal);
        Assert.StartsWith("Skipped: out of scope", Outcome("example.com/out"), StringComparison.Ordinal);
        Assert.StartsWith("Skipped: out of scope", Outcome("example.com/x.jpg"), StringComparison.Ordinal);

        // The expected totals.
        Assert.Equal((4, 8, 1, 1, 3, 4, 3, 2, 2), (summary!.Pages, summary.Accepted, summary.Duplicates, summary.NearDuplicates, summary.Rejected, summary.Failed, summary.Disallowed, summary.Blocked, summary.Skipped));
        Assert.Equal(JobState.Succeeded, finished.State);
        Assert.Equal(CrawlState.Completed, (await db.Crawls.SingleAsync(c => c.Id == crawl.Id)).State);

        // Nothing robots.txt disallows was requested; the failing host saw only its robots.txt; the canary saw nothing.
        Assert.Equal(0, site.Count("/private/secret.html") + site.Count("/img/anim.gif") + site.Count("/img/secret.jpg") + site.Count("/img/2-small.png"));
        Assert.All(failingRobots.Requests, r => Assert.Equal("/robots.txt", r));
        Assert.Empty(canary.Requests);
        Assert.Equal(1, site.Count("/robots.txt"));

        // One copy of each exact duplicate; the near duplicate is stored and linked to its canonical image.
        var images = await db.Images.Where(i => i.DatasetId == crawl.DatasetId).ToListAsync();
        Assert.Equal(9, images.Count);
        Assert.Single(images, i => i.Sha256 == Core.Images.ImageValidator.Sha256Hex(one));
        var near = Assert.Single(images, i => i.NearDuplicateOfId is not null);
        var canonical = images.Single(i => i.Id == near.NearDuplicateOfId);
        Assert.Equal(["/img/1.jpg", "/img/near-1.jpg"], new[] { new Uri(near.Origin).AbsolutePath, new Uri(canonical.Origin).AbsolutePath }.Order(StringComparer.Ordinal));

        // Provenance: page, image URL, alt text, page title, robots decision.
        var first = images.Single(i => i.Origin.EndsWith("/img/5.jpg", StringComparison.Ordinal));
        var provenance = await db.ImageProvenance.SingleAsync(p => p.ImageId == first.Id);
        Assert.Equal((site.BaseUrl + "/a.html", "five", "A", run.Id), (provenance.PageUrl, provenance.AltText, provenance.PageTitle, provenance.JobRunId));
        Assert.Contains("robots.txt", provenance.RobotsDecision, StringComparison.Ordinal);
        Assert.Equal(3, await db.RejectedFiles.CountAsync(r => r.DatasetId == crawl.DatasetId));
    }

    [Fact]
    public async Task A_crawl_delay_longer_than_the_fetch_timeout_slows_the_crawl_but_fails_no_page()
    {
        await using var site = await RecordingSite.StartAsync(app =>
        {
            // Crawl-delay 2 s against a 1 s fetch deadline: the wait for a turn is not the server's answer time.
            app.MapGet("/robots.txt", context => RecordingSite.Bytes(context, "text/plain", "User-agent: *\nCrawl-delay: 2\n"u8.ToArray()));
            app.MapGet("/p/{n:int}", (HttpContext context, int n) => RecordingSite.Html(context, n < 2 ? $"<a href='/p/{n + 1}'>next</a>" : "end"));
        });
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings(("Crawler:FetchTimeout", "00:00:01"), ("Crawler:MaxRetries", "0")));
        var crawls = platform.Get<CrawlService>();
        var (_, run) = await CrawlRunning.CreateAsync(platform, "slow-rate", crawls.BuildSettings([site.BaseUrl + "/p/0"], 5, 5, 5, null));

        var summary = await CrawlRunning.RunAsync(platform, run.Id);

        Assert.NotNull(summary);
        Assert.Equal((3, 0), (summary.Pages, summary.Failed));
        Assert.All(Enumerable.Range(0, 3), n => Assert.Equal(1, site.Count($"/p/{n}")));
    }

    [Fact]
    public async Task With_no_robots_caching_each_page_asks_robots_txt_again_and_the_crawl_completes()
    {
        await using var site = await RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", context => RecordingSite.Bytes(context, "text/plain", "User-agent: *\nDisallow: /private\n"u8.ToArray()));
            app.MapGet("/p/{n:int}", (HttpContext context, int n) => RecordingSite.Html(context, n < 2 ? $"<a href='/p/{n + 1}'>next</a><a href='/private/x'>x</a>" : "end"));
        });
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings(("Crawler:RobotsCacheDuration", "00:00:00"), ("Crawler:Concurrency", "1")));
        var crawls = platform.Get<CrawlService>();
        var (_, run) = await CrawlRunning.CreateAsync(platform, "no-robots-cache", crawls.BuildSettings([site.BaseUrl + "/p/0"], 5, 5, 5, null));

        // A zero lifetime once made every lookup refetch and discard its own answer forever.
        var summary = await CrawlRunning.RunAsync(platform, run.Id).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotNull(summary);
        Assert.Equal((3, 1), (summary.Pages, summary.Disallowed));
        Assert.Equal(0, site.Count("/private/x"));
        Assert.True(site.Count("/robots.txt") >= 3, $"robots.txt asked {site.Count("/robots.txt")} times");
    }

    [Fact]
    public async Task A_host_that_does_not_resolve_is_a_failed_fetch_not_a_blocked_one()
    {
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings());
        var crawls = platform.Get<CrawlService>();
        // RFC 6761: .invalid never resolves.
        var (crawl, run) = await CrawlRunning.CreateAsync(platform, "unresolved", crawls.BuildSettings(["http://nothing-here.invalid/"], 1, 1, 1, null));

        var summary = await CrawlRunning.RunAsync(platform, run.Id);

        // Nothing was fetched, so the run fails, saying why.
        Assert.Null(summary);
        var failed = (await platform.Get<JobRunService>().FindAsync(run.Id))!;
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("nothing-here.invalid/: failed (host name does not resolve", failed.Error, StringComparison.Ordinal);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var url = await db.CrawlUrls.SingleAsync(u => u.CrawlId == crawl.Id);
        Assert.Equal(CrawlUrlStatus.Failed, url.Status);
        Assert.StartsWith("host name does not resolve: nothing-here.invalid", url.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_a_redirect_lands_on_is_not_fetched_again_when_it_links_to_itself()
    {
        await using var site = await RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", () => Results.NotFound());
            app.MapGet("/start", () => Results.Redirect("/real"));
            app.MapGet("/real", context => RecordingSite.Html(context, "<a href='/real'>home</a><a href='/other'>other</a>"));
            app.MapGet("/other", context => RecordingSite.Html(context, "<a href='/real'>home</a>"));
        });
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings());
        var crawls = platform.Get<CrawlService>();
        var (_, run) = await CrawlRunning.CreateAsync(platform, "redirected", crawls.BuildSettings([site.BaseUrl + "/start"], 5, 10, 10, null));

        var summary = await CrawlRunning.RunAsync(platform, run.Id);

        Assert.NotNull(summary);
        Assert.Equal((1, 1, 1), (site.Count("/start"), site.Count("/real"), site.Count("/other")));
        Assert.Equal(2, summary.Pages);
    }

    [Fact]
    public async Task Paused_crawl_resumes_from_its_frontier_without_fetching_any_page_twice()
    {
        const int pages = 30;
        await using var site = await RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", () => Results.NotFound());
            app.MapGet("/p/{n:int}", async (HttpContext context, int n) =>
            {
                // Slow enough that the pause almost always finds a request in flight: the drain must record its answer.
                await Task.Delay(60, context.RequestAborted);
                await RecordingSite.Html(context, n + 1 < pages ? $"<a href='/p/{n + 1}'>next</a><img src='/i/{n}.jpg'>" : $"<img src='/i/{n}.jpg'>");
            });
            app.MapGet("/i/{n:int}.jpg", (HttpContext context, int n) => RecordingSite.Bytes(context, "image/jpeg", Pictures.Jpeg(100 + n)));
        });
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings(("Crawler:PerHostDelay", "00:00:00.040")));
        var crawls = platform.Get<CrawlService>();
        var (crawl, run) = await CrawlRunning.CreateAsync(platform, "paused", crawls.BuildSettings([site.BaseUrl + "/p/0"], pages, pages, pages, null));

        var first = CrawlRunning.RunAsync(platform, run.Id);
        while ((await crawls.CountAsync(crawl.Id)).Pages < 5)
        {
            Assert.False(first.IsCompleted, "the crawl finished before it could be paused; the test proved nothing");
            await Task.Delay(20);
        }

        Assert.True(await crawls.PauseAsync(crawl.Id));
        Assert.Null(await first);
        var runs = platform.Get<JobRunService>();
        Assert.Equal(JobState.Cancelled, (await runs.FindAsync(run.Id))!.State);
        var atPause = await crawls.CountAsync(crawl.Id);
        Assert.True(atPause.Pages < pages, "every page was fetched before the pause");

        // Resume pressed four times at once: one run starts.
        var resumes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => crawls.ResumeAsync(crawl.Id, "test", enqueue: false))));
        var resumed = Assert.Single(resumes, r => r is not null)!;
        var summary = await CrawlRunning.RunAsync(platform, resumed.Id);
        Assert.NotNull(summary);
        Assert.Equal((pages, pages, 0), (summary.Pages, summary.Accepted, summary.Failed));
        for (var n = 0; n < pages; n++)
        {
            Assert.True(site.Count($"/p/{n}") == 1, $"/p/{n} was fetched {site.Count($"/p/{n}")} times");
            Assert.Equal(1, site.Count($"/i/{n}.jpg"));
        }
    }

    [Fact]
    public async Task A_request_cut_off_by_shutdown_is_recorded_as_interrupted_and_never_requested_again()
    {
        var (site, slowRequested) = await StartSlowHubAsync(slowMs: 3000, hubImage: true);
        await using var _ = site;
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings(("Crawler:FetchTimeout", "00:00:10"), ("Crawler:Concurrency", "1")));
        var crawls = platform.Get<CrawlService>();
        var (crawl, run) = await CrawlRunning.CreateAsync(platform, "interrupted", crawls.BuildSettings([site.BaseUrl + "/hub"], 1, 10, 10, null));

        using var shutdown = new CancellationTokenSource();
        var first = CrawlRunning.RunAsync(platform, run.Id, shutdown.Token);
        await slowRequested.WaitAsync(TimeSpan.FromSeconds(30));
        await shutdown.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        await using (var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            var slow = await db.CrawlUrls.SingleAsync(u => u.CrawlId == crawl.Id && u.Url.EndsWith("/slow"));
            Assert.Equal((CrawlUrlStatus.Failed, CrawlFrontier.InterruptedReason), (slow.Status, slow.Reason));
        }

        // The same run is picked up again (as Hangfire requeues it after a shutdown) once the old lease lapses.
        var summary = await CrawlRunning.RunAsync(platform, run.Id);
        Assert.NotNull(summary);
        Assert.Equal((3, 1), (summary.Pages + summary.Failed, summary.Failed));
        Assert.Equal(1, site.Count("/slow"));
        Assert.Equal(0, site.Count("/i/1.jpg"));
        foreach (var path in (string[])["/hub", "/other", "/i/0.jpg", "/i/2.jpg"])
        {
            Assert.True(site.Count(path) == 1, $"{path} was requested {site.Count(path)} times");
        }
        Assert.Equal(2, summary.Accepted);
    }

    [Fact]
    public async Task A_pause_lets_the_request_in_flight_finish_and_resume_waits_for_it()
    {
        var (site, slowRequested) = await StartSlowHubAsync(slowMs: 5000, hubImage: false);
        await using var _ = site;
        await using var platform = await CorePlatform.StartAsync(CrawlRunning.Settings(("Crawler:FetchTimeout", "00:00:10"), ("Crawler:Concurrency", "1")));
        var crawls = platform.Get<CrawlService>();
        var (crawl, run) = await CrawlRunning.CreateAsync(platform, "drain", crawls.BuildSettings([site.BaseUrl + "/hub"], 2, 10, 10, null));

        var first = CrawlRunning.RunAsync(platform, run.Id);
        await slowRequested.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await crawls.PauseAsync(crawl.Id));
        // The run is still recording /slow's answer: a second run now would race it.
        var early = await Assert.ThrowsAsync<CrawlException>(() => crawls.ResumeAsync(crawl.Id, "test", enqueue: false));
        Assert.Contains("still stopping", early.Message, StringComparison.Ordinal);
        Assert.Null(await first);

        await using (var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            var slow = await db.CrawlUrls.SingleAsync(u => u.CrawlId == crawl.Id && u.Url.EndsWith("/slow"));
            Assert.Equal(CrawlUrlStatus.Fetched, slow.Status);
        }

        var resumed = await crawls.ResumeAsync(crawl.Id, "test", enqueue: false);
        var summary = await CrawlRunning.RunAsync(platform, resumed!.Id);
        Assert.Equal((3, 2, 0), (summary!.Pages, summary.Accepted, summary.Failed));
        foreach (var path in (string[])["/hub", "/slow", "/other", "/i/1.jpg", "/i/2.jpg"])
        {
            Assert.True(site.Count(path) == 1, $"{path} was requested {site.Count(path)} times");
        }
    }

    /// <summary>
    /// A hub page linking /slow (answering after <paramref name="slowMs"/>; the task completes when its request
    /// arrives) and /other; /slow shows /i/1.jpg, /other /i/2.jpg, and the hub /i/0.jpg when <paramref name="hubImage"/>.
    /// </summary>
    private static async Task<(RecordingSite Site, Task SlowRequested)> StartSlowHubAsync(int slowMs, bool hubImage)
    {
        var slowSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var site = await RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", () => Results.NotFound());
            app.MapGet("/hub", context => RecordingSite.Html(context, "<a href='/slow'>slow</a><a href='/other'>other</a>" + (hubImage ? "<img src='/i/0.jpg'>" : "")));
            app.MapGet("/slow", async context =>
            {
                slowSeen.TrySetResult();
                await Task.Delay(slowMs, context.RequestAborted);
                await RecordingSite.Html(context, "<img src='/i/1.jpg'>");
            });
            app.MapGet("/other", context => RecordingSite.Html(context, "<img src='/i/2.jpg'>"));
            app.MapGet("/i/{n:int}.jpg", (HttpContext context, int n) => RecordingSite.Bytes(context, "image/jpeg", Pictures.Jpeg(200 + n)));
        });
        return (site, slowSeen.Task);
    }

    [Fact]
    public void Bad_crawl_input_is_refused_with_a_clear_message()
    {
        var crawls = new CrawlService(null!, null!, null!, Microsoft.Extensions.Options.Options.Create(new CrawlerOptions()), TimeProvider.System);
        Assert.Contains("is not an absolute http", Assert.Throws<CrawlException>(() => crawls.BuildSettings(["ftp://x.test/"], null, null, null, null)).Message, StringComparison.Ordinal);
        Assert.Contains("at least one seed", Assert.Throws<CrawlException>(() => crawls.BuildSettings([" "], null, null, null, null)).Message, StringComparison.Ordinal);
        Assert.Contains("max depth", Assert.Throws<CrawlException>(() => crawls.BuildSettings(["http://x.test/"], -1, null, null, null)).Message, StringComparison.Ordinal);
        Assert.Contains("not a host name", Assert.Throws<CrawlException>(() => crawls.BuildSettings(["http://x.test/"], null, null, null, ["bad host!"])).Message, StringComparison.Ordinal);
        var settings = crawls.BuildSettings(["HTTP://X.test:80/a#f", "http://x.test/a"], null, null, null, null);
        Assert.Equal(["http://x.test/a"], settings.Seeds);
        Assert.Equal(["x.test"], settings.AllowedDomains);
        // Allowed domains are kept the way URLs' hosts are compared: punycode, IPv6 without brackets.
        var idn = crawls.BuildSettings(["http://bücher.test/"], null, null, null, ["Bücher.test.", "[::1]"]);
        Assert.Equal(["xn--bcher-kva.test", "::1"], idn.AllowedDomains);
        Assert.Equal(new Uri(idn.Seeds[0]).IdnHost, idn.AllowedDomains[0]);
    }
}
