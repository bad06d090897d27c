using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Tests.Crawling;

/// <summary>Pictures that differ from each other in their perceptual hash: random grey blocks from a seed.</summary>
public static class Pictures
{
    public static Image<Rgb24> Blocks(int seed, int width = 160, int height = 120)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        var levels = Enumerable.Range(0, 64).Select(_ => (byte)random.Next(256)).ToArray();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var level = levels[(y * 8 / height * 8) + (x * 8 / width)];
                image[x, y] = new Rgb24(level, (byte)(255 - level), (byte)(level / 2));
            }
        }

        return image;
    }

    public static byte[] Jpeg(int seed, int quality = 90, int width = 160, int height = 120)
    {
        using var image = Blocks(seed, width, height);
        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = quality });
        return stream.ToArray();
    }

    public static byte[] Png(int seed, int width = 160, int height = 120)
    {
        using var image = Blocks(seed, width, height);
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }
}

/// <summary>A loopback web site that records every request it receives (path and query).</summary>
public sealed class RecordingSite : IAsyncDisposable
{
    private readonly LoopbackServer _server;

    private RecordingSite(LoopbackServer server, ConcurrentQueue<string> requests)
    {
        _server = server;
        Requests = requests;
    }

    public string BaseUrl => _server.BaseUrl;
    public ConcurrentQueue<string> Requests { get; }

    public int Count(string pathAndQuery) => Requests.Count(r => r == pathAndQuery);

    public static async Task<RecordingSite> StartAsync(Action<WebApplication> map, string address = "127.0.0.1")
    {
        var requests = new ConcurrentQueue<string>();
        var server = await LoopbackServer.StartAsync(app =>
        {
            app.Use(async (context, next) =>
            {
                requests.Enqueue(context.Request.Path + context.Request.QueryString);
                await next();
            });
            map(app);
        }, address);
        return new RecordingSite(server, requests);
    }

    public static Task Html(HttpContext context, string body)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(body);
    }

    public static Task Bytes(HttpContext context, string contentType, byte[] bytes)
    {
        context.Response.ContentType = contentType;
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    /// <summary>50 MB of zeros, gzip-compressed to about 50 KB.</summary>
    public static byte[] GzipBomb()
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 50; i++)
            {
                gzip.Write(zeros);
            }
        }

        return output.ToArray();
    }

    public static string Nested(int depth, string inside)
    {
        var html = new StringBuilder("<html><head><title>nested</title></head><body>", depth * 5 + 200);
        for (var i = 0; i < depth; i++)
        {
            html.Append("<div>");
        }

        return html.Append(inside).Append("</body></html>").ToString();
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>Runs crawls in the test process the way the CLI does.</summary>
public static class CrawlRunning
{
    public static Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            // Only the test site's own address: 127.0.0.2 (the canary) and everything else stays refused.
            ["Outbound:AllowedNetworks:0"] = "127.0.0.1/32",
            ["Crawler:PerHostDelay"] = "00:00:00",
            // Loopback answers in milliseconds; a generous deadline keeps a cold or loaded first fetch from being
            // retried (and counted twice). The hostile-site test sets its own short one for its endless page.
            ["Crawler:FetchTimeout"] = "00:00:10",
            ["Crawler:MaxRetries"] = "1",
            ["Crawler:RetryBaseDelay"] = "00:00:00.050",
            ["Crawler:MaxHtmlBytes"] = "1048576",
            ["Crawler:Concurrency"] = "2",
            ["Jobs:LeaseDuration"] = "00:00:03",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static async Task<(Crawl Crawl, JobRun Run)> CreateAsync(CorePlatform platform, string dataset, CrawlSettings settings)
    {
        var target = await platform.Get<DatasetService>().GetOrCreateAsync(dataset, null, "test");
        return await platform.Get<CrawlService>().CreateAsync(target.Id, settings, "test", enqueue: false);
    }

    public static Task<CrawlSummary?> RunAsync(CorePlatform platform, long runId, CancellationToken cancellationToken = default) =>
        new CrawlJob(platform.Get<JobExecutor>(), platform.Get<CrawlService>(), platform.Get<CrawlRunner>()).RunAsync(runId, cancellationToken);
}
