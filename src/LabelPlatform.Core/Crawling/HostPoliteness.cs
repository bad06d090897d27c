using System.Collections.Concurrent;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// Per host: at most Crawler:MaxRequestsPerHost requests in flight (one, when polite) and a pause between two
/// requests (Crawler:PerHostDelay, or the host's robots.txt Crawl-delay when longer, capped at Crawler:MaxCrawlDelay).
/// One instance per crawl run.
/// </summary>
public sealed class HostPoliteness(CrawlerOptions options, TimeProvider clock) : IDisposable
{
    private sealed class Host(int slots)
    {
        public SemaphoreSlim Slots { get; } = new(slots, slots);
        public Lock Gate { get; } = new();
        public DateTimeOffset NextRequestAt { get; set; } = DateTimeOffset.MinValue;
        public TimeSpan Delay { get; set; }
    }

    private readonly ConcurrentDictionary<string, Host> _hosts = new(StringComparer.Ordinal);

    /// <summary>Holds one of the host's slots until disposed.</summary>
    public async Task<IDisposable> EnterAsync(string authority, CancellationToken cancellationToken)
    {
        var host = Get(authority);
        await host.Slots.WaitAsync(cancellationToken);
        return new Release(host.Slots);
    }

    /// <summary>Sets the host's delay from its robots.txt Crawl-delay (the configured delay is the floor).</summary>
    public void SetCrawlDelay(string authority, TimeSpan? crawlDelay)
    {
        var host = Get(authority);
        var delay = options.PerHostDelay;
        if (crawlDelay is { } requested)
        {
            var capped = requested < options.MaxCrawlDelay ? requested : options.MaxCrawlDelay;
            delay = capped > delay ? capped : delay;
        }

        host.Delay = delay;
    }

    public TimeSpan DelayOf(string authority) => Get(authority).Delay;

    /// <summary>Waits until the host may be asked again, and books the next turn.</summary>
    public async Task WaitTurnAsync(string authority, CancellationToken cancellationToken)
    {
        var host = Get(authority);
        TimeSpan wait;
        lock (host.Gate)
        {
            var now = clock.GetUtcNow();
            var at = host.NextRequestAt > now ? host.NextRequestAt : now;
            wait = at - now;
            host.NextRequestAt = at + host.Delay;
        }

        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, clock, cancellationToken);
        }
    }

    private Host Get(string authority) => _hosts.GetOrAdd(authority, _ => new Host(options.MaxRequestsPerHost) { Delay = options.PerHostDelay });

    public void Dispose()
    {
        foreach (var host in _hosts.Values)
        {
            host.Slots.Dispose();
        }
    }

    private sealed class Release(SemaphoreSlim slots) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
