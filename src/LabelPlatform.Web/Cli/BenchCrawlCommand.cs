using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Jobs;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `bench crawl`: serves a site of N pages and 2N distinct images on 127.0.0.1 from this process, crawls it with
/// politeness off (no delay, several requests per host) into a throw-away data folder, and prints pages/s, images/s
/// and the peak working set. Figures, not assertions.
/// </summary>
internal static class BenchCrawlCommand
{
    private static readonly JsonSerializerOptions JsonOutput = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var pages = new Option<int>("--pages") { Description = "Pages on the site (each links to the next 5 and shows 2 images)", DefaultValueFactory = _ => 1000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once", DefaultValueFactory = _ => 8 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("crawl", "Crawl throughput against a loopback site, politeness off") { pages, concurrency, json };
        command.SetAction(async (parse, ct) =>
        {
            var pageCount = parse.GetValue(pages);
            var parallel = parse.GetValue(concurrency);
            var images = BuildImages(pageCount * 2);
            await using var site = await StartSiteAsync(pageCount, images, ct);
            var data = Path.Combine(Path.GetTempPath(), "labelplatform-bench", Guid.NewGuid().ToString("N"));
            var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
            {
                ["Storage:DataDirectory"] = data,
                ["Outbound:AllowedNetworks:0"] = "127.0.0.1/32",
                ["Crawler:PerHostDelay"] = "00:00:00",
                ["Crawler:MaxRequestsPerHost"] = parallel.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Crawler:Concurrency"] = parallel.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            try
            {
                using var host = await PlatformCli.StartHostAsync(overrides, ct);
                var services = host.Services;
                var crawls = services.GetRequiredService<CrawlService>();
                var dataset = await services.GetRequiredService<DatasetService>().GetOrCreateAsync("bench-crawl", null, "bench", ct);
                var crawlSettings = crawls.BuildSettings([BaseUrl(site) + "/p/0"], 1000, pageCount, pageCount * 2, null);
                var (_, run) = await crawls.CreateAsync(dataset.Id, crawlSettings, "bench", enqueue: false, ct);
                var clock = Stopwatch.StartNew();
                var summary = await services.GetRequiredService<CrawlJob>().RunAsync(run.Id, ct) ?? throw new InvalidOperationException("the benchmark crawl failed; see the log");
                var seconds = clock.Elapsed.TotalSeconds;
                var figures = new Dictionary<string, object>
                {
                    ["pages"] = summary.Pages,
                    ["images"] = summary.Accepted,
                    ["failed"] = summary.Failed + summary.Rejected,
                    ["cores"] = Environment.ProcessorCount,
                    ["concurrency"] = parallel,
                    ["seconds"] = Math.Round(seconds, 2),
                    ["pages_per_second"] = Math.Round(summary.Pages / seconds, 1),
                    ["images_per_second"] = Math.Round(summary.Accepted / seconds, 1),
                    ["peak_working_set_megabytes"] = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024),
                };
                await stdout.WriteLineAsync(parse.GetValue(json)
                    ? JsonSerializer.Serialize(figures, JsonOutput)
                    : string.Join(Environment.NewLine, figures.Select(f => $"{f.Key,-28} {f.Value}")));
                return 0;
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(data, recursive: true);
            }
        });
        return command;
    }

    /// <summary>Distinct 96x72 JPEGs (different block patterns, so no two are near duplicates).</summary>
    private static byte[][] BuildImages(int count) => [.. Enumerable.Range(0, count).AsParallel().AsOrdered().Select(seed =>
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(96, 72);
        var levels = Enumerable.Range(0, 64).Select(_ => (byte)random.Next(256)).ToArray();
        for (var y = 0; y < 72; y++)
        {
            for (var x = 0; x < 96; x++)
            {
                var level = levels[(y / 9 * 8) + (x / 12)];
                image[x, y] = new Rgb24(level, (byte)(255 - level), (byte)(seed % 256));
            }
        }

        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = 85 });
        return stream.ToArray();
    })];

    private static string BaseUrl(WebApplication site) =>
        site.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    private static async Task<WebApplication> StartSiteAsync(int pageCount, byte[][] images, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/robots.txt", () => "User-agent: *\nDisallow: /nowhere/\n");
        app.MapGet("/p/{n:int}", (int n) =>
        {
            var links = string.Concat(Enumerable.Range(n + 1, 5).Where(i => i < pageCount).Select(i => $"<a href=\"/p/{i}\">page {i}</a> "));
            return Results.Content($"<html><head><title>Page {n}</title></head><body>{links}<img src=\"/i/{2 * n}.jpg\" alt=\"image {2 * n}\"><img src=\"/i/{2 * n + 1}.jpg\"></body></html>", "text/html");
        });
        app.MapGet("/i/{n:int}.jpg", (int n) => n >= 0 && n < images.Length ? Results.Bytes(images[n], "image/jpeg") : Results.NotFound());
        await app.StartAsync(ct);
        return app;
    }
}
