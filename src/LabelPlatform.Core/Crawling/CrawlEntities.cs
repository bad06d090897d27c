namespace LabelPlatform.Core.Crawling;

public enum CrawlState
{
    Queued = 0,
    Running = 1,
    Paused = 2,
    Cancelled = 3,
    Completed = 4,
    Failed = 5,
}

public enum CrawlUrlKind
{
    Page = 0,
    Image = 1,
}

/// <summary>Where a frontier entry stands. Everything but <see cref="Queued"/> is final and is never fetched again.</summary>
public enum CrawlUrlStatus
{
    Queued = 0,

    /// <summary>A page fetched and its links extracted.</summary>
    Fetched = 1,
    Accepted = 2,
    Duplicate = 3,
    NearDuplicate = 4,

    /// <summary>An image that was fetched but refused (validation, size, Content-Type).</summary>
    Rejected = 5,

    /// <summary>The fetch failed (HTTP error, timeout, cap, too many redirects) after its retries.</summary>
    Failed = 6,

    /// <summary>robots.txt says no.</summary>
    Disallowed = 7,

    /// <summary>The SSRF guard refused the address before any connection.</summary>
    Blocked = 8,

    /// <summary>Found but not admitted: out of scope, deeper than the maximum depth, over a page or image limit.</summary>
    Skipped = 9,

    /// <summary>
    /// Claimed by a run for a fetch whose outcome is not recorded yet. A run that finds one left by a worker that died
    /// records it as failed (interrupted) instead of requesting it again: the site may have answered already, and a
    /// crawl requests each URL at most once.
    /// </summary>
    Fetching = 10,
}

/// <summary>
/// One crawl of a dataset: its settings and state. A crawl is executed by one or more job runs (a pause ends one; a
/// resume starts the next); the frontier belongs to the crawl, so no run fetches again what an earlier one finished.
/// </summary>
public class Crawl
{
    public int Id { get; set; }
    public int DatasetId { get; set; }
    public CrawlState State { get; set; }

    /// <summary>Seeds, limits and allowed domains as JSON (<see cref="CrawlSettings"/>).</summary>
    public string SettingsJson { get; set; } = "{}";
    public long? CurrentJobRunId { get; set; }
    public string? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Message { get; set; }
}

/// <summary>The persistent frontier: every URL a crawl found, with its depth, state, retries and outcome.</summary>
public class CrawlUrl
{
    public long Id { get; set; }
    public int CrawlId { get; set; }
    public CrawlUrlKind Kind { get; set; }

    /// <summary>Normalised absolute URL (see <see cref="UrlNormalizer"/>); unique per crawl and kind.</summary>
    public required string Url { get; set; }
    public required string Host { get; set; }
    public int Depth { get; set; }
    public CrawlUrlStatus Status { get; set; }
    public int Retries { get; set; }

    /// <summary>Why it ended as it did (a rejection, a failure, the robots rule, the scope rule).</summary>
    public string? Reason { get; set; }

    /// <summary>The page it was found on (null for seeds).</summary>
    public string? FoundOn { get; set; }

    /// <summary>For images: alt text and the title of the page it was found on.</summary>
    public string? AltText { get; set; }
    public string? PageTitle { get; set; }
    public int? HttpStatus { get; set; }
    public DateTimeOffset? FetchedAt { get; set; }

    /// <summary>For images: the stored image, or the one it duplicates.</summary>
    public long? ImageId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>While <see cref="CrawlUrlStatus.Fetching"/>: the fetcher holding the claim, and until when (renewed while it lives).</summary>
    public string? ClaimedBy { get; set; }
    public DateTimeOffset? ClaimExpiresAt { get; set; }
}

/// <summary>
/// A host of a crawl and when it may next be asked: shared by every fetcher of the crawl on any machine, so the
/// per-host delay holds between them and not only within one process.
/// </summary>
public class CrawlHost
{
    public int CrawlId { get; set; }

    /// <summary>scheme://host:port, as <see cref="UrlNormalizer.Authority"/> writes it.</summary>
    public required string Host { get; set; }
    public DateTimeOffset NextFetchAt { get; set; }
}

/// <summary>Where a crawled image came from. Alt text and page title are shown to labellers as hints.</summary>
public class ImageProvenance
{
    public long ImageId { get; set; }
    public int CrawlId { get; set; }
    public long? JobRunId { get; set; }
    public required string PageUrl { get; set; }
    public required string ImageUrl { get; set; }

    /// <summary>The image's host, for breaking evaluation down by source domain.</summary>
    public required string SourceHost { get; set; }
    public string? AltText { get; set; }
    public string? PageTitle { get; set; }
    public required string RobotsDecision { get; set; }
    public DateTimeOffset FetchedAt { get; set; }
}

/// <summary>What a crawl is asked to do (stored on <see cref="Crawl.SettingsJson"/>).</summary>
public sealed class CrawlSettings
{
    public List<string> Seeds { get; set; } = [];
    public int MaxDepth { get; set; }
    public int MaxPages { get; set; }
    public int MaxImages { get; set; }

    /// <summary>Hosts (and their subdomains) in scope; the seeds' hosts when none were given.</summary>
    public List<string> AllowedDomains { get; set; } = [];
}

/// <summary>The parameters of a crawl job run.</summary>
public sealed record CrawlJobParameters(int CrawlId);

/// <summary>Totals of a crawl, counted from its frontier.</summary>
public sealed record CrawlSummary(int CrawlId, long JobRunId, string Dataset, int Pages, int Accepted, int Duplicates, int NearDuplicates,
    int Rejected, int Failed, int Disallowed, int Blocked, int Skipped, int Queued, double Seconds)
{
    public string Describe() =>
        $"{Pages:N0} pages, {Accepted:N0} images accepted, {Duplicates:N0} duplicates, {NearDuplicates:N0} near duplicates, {Rejected:N0} rejected, {Failed:N0} failed, {Disallowed:N0} disallowed by robots.txt, {Blocked:N0} blocked";
}

/// <summary>A crawl that cannot start or go on: bad seeds, unknown crawl. Ends the run as Failed with this message.</summary>
public sealed class CrawlException(string message) : Exception(message);
