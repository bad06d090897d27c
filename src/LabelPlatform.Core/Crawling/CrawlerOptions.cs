using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Crawling;

/// <summary>Bound from "Crawler". Every network-facing limit of the crawler lives here.</summary>
public sealed class CrawlerOptions
{
    public const string Section = "Crawler";

    /// <summary>Sent with every request; names the crawler and where to read about it.</summary>
    [Required]
    public string UserAgent { get; set; } = "LabelPlatformBot/1.0 (+https://labelplatform.local/crawler; image dataset crawler)";

    /// <summary>The product token matched against robots.txt user-agent lines (RFC 9309 section 2.2.1).</summary>
    [Required]
    public string RobotsProductToken { get; set; } = "LabelPlatformBot";

    /// <summary>One deadline per fetch attempt, covering connect, every redirect hop and the whole body.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Body caps, counted after decompression.</summary>
    [Range(typeof(long), "1024", "1073741824")]
    public long MaxHtmlBytes { get; set; } = 4L * 1024 * 1024;
    [Range(typeof(long), "1024", "1073741824")]
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>RFC 9309 asks crawlers to parse at least 500 KiB; more is ignored.</summary>
    [Range(typeof(long), "1024", "104857600")]
    public long MaxRobotsBytes { get; set; } = 512L * 1024;

    [Range(0, 20)]

    public int MaxRedirects { get; set; } = 5;

    /// <summary>Extra attempts after a 5xx, 408, 429, timeout or broken connection, with exponential backoff.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 2;
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Pause between two requests to the same host (a robots.txt Crawl-delay that is longer wins).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan PerHostDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests in flight to one host at once. Politeness means 1; benchmarks raise it.</summary>
    [Range(1, 256)]
    public int MaxRequestsPerHost { get; set; } = 1;

    /// <summary>A robots.txt Crawl-delay above this is capped (a hostile file must not stall the crawl for hours).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxCrawlDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Frontier entries processed at once (across hosts).</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 4;

    /// <summary>
    /// Extra fetchers each crawl run enqueues beside itself (Hangfire jobs any worker on the database may run): one
    /// frontier and one per-host turn for all of them.
    /// </summary>
    [Range(0, 64)]
    public int ExtraFetchers { get; set; }

    /// <summary>How long a host's robots.txt is trusted; never more than 24 h.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RobotsCacheDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Images smaller than this on either side are icons or spacers and are skipped.</summary>
    [Range(1, 4096)]
    public int MinImageSide { get; set; } = 32;

    /// <summary>Two images whose 64-bit dHashes differ in at most this many bits are near duplicates.</summary>
    [Range(0, 64)]
    public int NearDuplicateDistance { get; set; } = 6;

    /// <summary>Hostile HTML: tokens read per page before extraction stops (a page keeps what was found so far).</summary>
    [Range(1000, int.MaxValue)]
    public int MaxHtmlTokens { get; set; } = 2_000_000;

    [Range(0, 100)]

    public int DefaultMaxDepth { get; set; } = 2;
    [Range(1, 10_000_000)]
    public int DefaultMaxPages { get; set; } = 100;
    [Range(1, 10_000_000)]
    public int DefaultMaxImages { get; set; } = 1000;
}
