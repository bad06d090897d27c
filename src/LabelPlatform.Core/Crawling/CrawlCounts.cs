namespace LabelPlatform.Core.Crawling;

/// <summary>Frontier totals of one crawl, by outcome.</summary>
public sealed record CrawlCounts(int Pages, int Accepted, int Duplicates, int NearDuplicates, int Rejected, int Failed, int Disallowed, int Blocked, int Skipped, int QueuedPages, int QueuedImages)
{
    public int Queued => QueuedPages + QueuedImages;

    public static CrawlCounts From(IReadOnlyDictionary<(CrawlUrlKind Kind, CrawlUrlStatus Status), int> counts)
    {
        int Get(CrawlUrlKind kind, CrawlUrlStatus status) => counts.TryGetValue((kind, status), out var n) ? n : 0;
        int Both(CrawlUrlStatus status) => Get(CrawlUrlKind.Page, status) + Get(CrawlUrlKind.Image, status);
        return new CrawlCounts(Get(CrawlUrlKind.Page, CrawlUrlStatus.Fetched), Get(CrawlUrlKind.Image, CrawlUrlStatus.Accepted), Get(CrawlUrlKind.Image, CrawlUrlStatus.Duplicate),
            Get(CrawlUrlKind.Image, CrawlUrlStatus.NearDuplicate), Both(CrawlUrlStatus.Rejected), Both(CrawlUrlStatus.Failed), Both(CrawlUrlStatus.Disallowed), Both(CrawlUrlStatus.Blocked),
            Both(CrawlUrlStatus.Skipped), Get(CrawlUrlKind.Page, CrawlUrlStatus.Queued) + Get(CrawlUrlKind.Page, CrawlUrlStatus.Fetching),
            Get(CrawlUrlKind.Image, CrawlUrlStatus.Queued) + Get(CrawlUrlKind.Image, CrawlUrlStatus.Fetching));
    }
}
