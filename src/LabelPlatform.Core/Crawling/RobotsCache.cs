using System.Collections.Concurrent;
using System.Text;
using LabelPlatform.Core.Outbound;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// robots.txt per origin (scheme, host, port), fetched once and kept for Crawler:RobotsCacheDuration (24 h at most).
/// RFC 9309 section 2.3.1: a 2xx is parsed (up to Crawler:MaxRobotsBytes); a 4xx, or more redirects than allowed,
/// means no rules (allow all); a 5xx, a timeout or an unreachable host means disallow all.
/// </summary>
public sealed class RobotsCache(GuardedFetcher fetcher, IOptions<CrawlerOptions> options, TimeProvider clock)
{
    private const int MaxOrigins = 1000;

    private sealed record Entry(RobotsTxt Rules, DateTimeOffset FetchedAt);

    private readonly ConcurrentDictionary<string, Lazy<Task<Entry>>> _entries = new(StringComparer.Ordinal);

    public async Task<RobotsTxt> GetAsync(Uri url, Func<Uri, CancellationToken, Task>? beforeRequest, CancellationToken cancellationToken)
    {
        var origin = $"{url.Scheme}://{UrlNormalizer.Authority(url)}";
        var lifetime = options.Value.RobotsCacheDuration;
        if (_entries.Count > MaxOrigins)
        {
            Sweep(lifetime);
        }

        while (true)
        {
            Lazy<Task<Entry>>? mine = null;
            var lazy = _entries.GetOrAdd(origin, key => mine = new Lazy<Task<Entry>>(() => FetchAsync(new Uri(key + "/robots.txt"), beforeRequest, cancellationToken)));
            Entry entry;
            try
            {
                entry = await lazy.Value;
            }
            catch (OperationCanceledException)
            {
                // The fetch belonged to a cancelled caller: forget it so the next one starts afresh.
                _entries.TryRemove(new KeyValuePair<string, Lazy<Task<Entry>>>(origin, lazy));
                throw;
            }

            // Just fetched for this call: used even with a cache lifetime of zero (which would otherwise refetch forever).
            if (ReferenceEquals(lazy, mine) || clock.GetUtcNow() - entry.FetchedAt <= lifetime)
            {
                return entry.Rules;
            }

            _entries.TryRemove(new KeyValuePair<string, Lazy<Task<Entry>>>(origin, lazy));
        }
    }

    /// <summary>Drops expired entries, so a long-lived process that crawled many hosts does not keep all their rules.</summary>
    private void Sweep(TimeSpan lifetime)
    {
        var now = clock.GetUtcNow();
        foreach (var (origin, lazy) in _entries)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && now - lazy.Value.Result.FetchedAt > lifetime)
            {
                _entries.TryRemove(new KeyValuePair<string, Lazy<Task<Entry>>>(origin, lazy));
            }
        }
    }

    private async Task<Entry> FetchAsync(Uri robotsUrl, Func<Uri, CancellationToken, Task>? beforeRequest, CancellationToken cancellationToken)
    {
        var result = await fetcher.FetchAsync(robotsUrl, FetchKind.Robots, null, beforeRequest, cancellationToken);
        var rules = result.Status switch
        {
            FetchStatus.Ok => RobotsTxt.Parse(Encoding.UTF8.GetString(result.Body!)),
            FetchStatus.HttpError when result.HttpStatus is >= 400 and < 500 => RobotsTxt.AllowAll($"robots.txt answered {result.HttpStatus}: no rules, all allowed"),
            FetchStatus.TooManyRedirects => RobotsTxt.AllowAll($"robots.txt: {result.Reason}: treated as unavailable, all allowed"),
            _ => RobotsTxt.DisallowAll($"robots.txt unreachable ({result.Reason}): all disallowed"),
        };
        return new Entry(rules, clock.GetUtcNow());
    }
}
