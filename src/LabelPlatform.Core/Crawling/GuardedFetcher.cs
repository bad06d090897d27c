using LabelPlatform.Core.Outbound;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Crawling;

public enum FetchKind
{
    Page,
    Image,
    Robots,
}

/// <summary>
/// The crawler's requests, made through the platform's one <see cref="OutboundFetcher"/> (SSRF guard at connect,
/// redirects by hand, deadlines, retries) with the crawler's limits: a body cap and an Accept header per kind, pages
/// and images checked for their Content-Type, robots.txt read up to its cap and the rest ignored (RFC 9309 2.5).
/// </summary>
public sealed class GuardedFetcher(IOptions<CrawlerOptions> options, OutboundFetcher fetcher)
{
    private readonly CrawlerOptions _options = options.Value;

    public CrawlerOptions Options => _options;

    public long CapFor(FetchKind kind) => kind switch
    {
        FetchKind.Page => _options.MaxHtmlBytes,
        FetchKind.Image => _options.MaxImageBytes,
        _ => _options.MaxRobotsBytes,
    };

    /// <summary>Fetches <paramref name="url"/>. <paramref name="beforeRequest"/> runs before every request (politeness).</summary>
    public Task<FetchResult> FetchAsync(Uri url, FetchKind kind, HopCheck? hopCheck, Func<Uri, CancellationToken, Task>? beforeRequest, CancellationToken cancellationToken)
    {
        var request = new FetchRequest
        {
            Deadline = _options.FetchTimeout,
            MaxRedirects = _options.MaxRedirects,
            MaxRetries = _options.MaxRetries,
            RetryBaseDelay = _options.RetryBaseDelay,
            UserAgent = _options.UserAgent,
            Decompress = true,
            Accept = kind switch
            {
                FetchKind.Page => "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                FetchKind.Image => "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8",
                _ => "text/plain,*/*;q=0.1",
            },
            HopCheck = hopCheck,
            BeforeRequest = beforeRequest,
            ResolveRedirect = UrlNormalizer.Normalize,
        };
        var body = OutboundFetcher.ReadBody(CapFor(kind), keepTruncated: kind == FetchKind.Robots);
        return fetcher.SendAsync(url, request, (finalUrl, response, deadline) =>
        {
            var contentType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant();
            return WrongType(kind, contentType) is { } wrong
                ? Task.FromResult(FetchResult.Fail(FetchStatus.WrongContentType, finalUrl, (int)response.StatusCode, wrong) with { ContentType = contentType })
                : body(finalUrl, response, deadline);
        }, cancellationToken);
    }

    private static string? WrongType(FetchKind kind, string? contentType) => kind switch
    {
        FetchKind.Page when contentType is not ("text/html" or "application/xhtml+xml") => $"Content-Type {contentType ?? "(none)"} is not HTML",
        FetchKind.Image when contentType is null || !contentType.StartsWith("image/", StringComparison.Ordinal) => $"Content-Type {contentType ?? "(none)"} is not an image type",
        _ => null,
    };
}
