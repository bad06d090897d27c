using LabelPlatform.E2E.Infrastructure;
using LabelPlatform.E2E.Pages;
using LabelPlatform.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LabelPlatform.E2E;

/// <summary>An admin starts a crawl of a small loopback site in Chromium, watches it finish and sees the crawled images.</summary>
public sealed class CrawlFlowTests(BrowserFixture fixture, ITestOutputHelper output) : E2ETest(fixture, output)
{
    private const float CrawlTimeoutMs = 45_000;

    [Fact]
    public Task Admin_starts_a_crawl_and_sees_progress_and_images() => RunAsync(async () =>
    {
        await using var site = await StartSiteAsync();
        var baseUrl = site.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        var login = await new LoginPage(Page).GotoAsync();
        await login.SignInAsync(PlatformFactory.AdminEmail, PlatformFactory.AdminPassword);
        var crawls = await new CrawlsPage(Page).GotoAsync();
        await Expect(crawls.Heading).ToHaveTextAsync("Crawls");
        var name = $"crawl-{Guid.NewGuid():N}"[..14];
        var details = await crawls.StartAsync(name, baseUrl + "/", maxDepth: 1);
        await Expect(details.Flash).ToContainTextAsync("started");
        await details.WaitUntilCompletedAsync(CrawlTimeoutMs);
        await Expect(details.Pages).ToHaveTextAsync("2");
        await Expect(details.Accepted).ToHaveTextAsync("3");
        await Expect(details.Images).ToHaveCountAsync(3);
        await Expect(details.Hosts).ToHaveCountAsync(1);
        await Expect(details.Reasons).ToContainTextAsync("robots.txt");
        await ScreenshotAsync("crawl-details");

        var datasetId = await details.DatasetIdAsync();
        await details.Images.Filter(new() { HasText = "first picture" }).ClickAsync();
        await Expect(Page.Locator("#provenance-hints")).ToContainTextAsync("alt text: first picture · page title: Gallery");
        await ScreenshotAsync("crawl-image");

        // Labellers see what the page said about each crawled image: its alt text and the page's title.
        var work = new LabelWorkPage(Page);
        await work.GotoAsync(datasetId);
        await work.WaitForImageAsync(null);
        await Expect(work.SourceText).ToBeVisibleAsync();
        await Expect(work.SourceText).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(first picture on Gallery|second on Gallery|third on More)$"));
        await ScreenshotAsync("crawl-label-hint");
    });

    private static byte[] Png(int seed)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(120, 90);
        var levels = Enumerable.Range(0, 64).Select(_ => (byte)random.Next(256)).ToArray();
        for (var y = 0; y < 90; y++)
        {
            for (var x = 0; x < 120; x++)
            {
                var level = levels[(y * 8 / 90 * 8) + (x * 8 / 120)];
                image[x, y] = new Rgb24(level, (byte)(200 - level / 2), (byte)(seed * 40));
            }
        }

        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    private static async Task<WebApplication> StartSiteAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/robots.txt", () => "User-agent: *\nDisallow: /private/\n");
        app.MapGet("/", () => Results.Content("<title>Gallery</title><img src='/a.png' alt='first picture'><img src='/b.png' alt='second'><a href='/more.html'>more</a><a href='/private/x.html'>x</a>", "text/html"));
        app.MapGet("/more.html", () => Results.Content("<title>More</title><img src='/c.png' alt='third'>", "text/html"));
        foreach (var (path, seed) in new[] { ("/a.png", 1), ("/b.png", 2), ("/c.png", 3) })
        {
            var bytes = Png(seed);
            app.MapGet(path, () => Results.Bytes(bytes, "image/png"));
        }

        await app.StartAsync();
        return app;
    }
}
