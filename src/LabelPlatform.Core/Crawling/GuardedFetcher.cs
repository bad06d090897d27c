using System.Net;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LabelPlatform.Core.Crawling;

public enum FetchKind
{
    Page,
    Image,
    Robots,
}

public enum FetchStatus
{
    Ok,
    HttpError,
    Blocked,
    Disallowed,
    OutOfScope,
    TooLarge,
    Timeout,
    NetworkError,
    TooManyRedirects,
    WrongContentType,
}

/// <summary>One fetch's outcome: the body (capped) or why there is none, after every redirect hop and retry.</summary>
public sealed record FetchResult(FetchStatus Status, Uri FinalUrl, int? HttpStatus, string? ContentType, byte[]? Body, string? Reason, int Attempts, string? RobotsReason = null, string? Charset = null)
{
    public bool Ok => Status == FetchStatus.Ok;

    /// <summary>Worth another attempt: a 5xx, 408 or 429 answer, a timeout or a broken connection.</summary>
    public bool Transient => Status is FetchStatus.Timeout or FetchStatus.NetworkError
        || (Status == FetchStatus.HttpError && HttpStatus is >= 500 or 408 or 429);
}

/// <summary>A redirect hop may be refused by the caller (scope, robots.txt) before it is requested.</summary>
public delegate Task<FetchResult?> HopCheck(Uri hop, CancellationToken cancellationToken);

/// <summary>
/// The crawler's only way onto the network: one HttpClient whose connect callback lets the SSRF guard judge every
/// resolved address; http and https only; redirects followed by hand (at most Crawler:MaxRedirects, each hop checked
/// again); one deadline per attempt covering every hop and the whole body; body caps counted after decompression;
/// retries with exponential backoff and jitter (Polly) for 5xx, 408, 429, timeouts and broken connections.
/// </summary>
public sealed class GuardedFetcher : IDisposable
{
    private readonly CrawlerOptions _options;
    private readonly NetworkGuard _guard;
    private readonly HttpClient _client;
    private readonly ResiliencePipeline<FetchResult> _retry;

    public GuardedFetcher(IOptions<CrawlerOptions> options, NetworkGuard guard)
    {
        _options = options.Value;
        _guard = guard;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = _options.FetchTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectCallback = guard.ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd(_options.UserAgent);
        _retry = new ResiliencePipelineBuilder<FetchResult>()
            .AddRetry(new RetryStrategyOptions<FetchResult>
            {
                MaxRetryAttempts = Math.Max(1, _options.MaxRetries),
                Delay = _options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(_options.MaxRetries > 0 && args.Outcome.Result is { Transient: true }),
            })
            .Build();
    }

    public CrawlerOptions Options => _options;

    public long CapFor(FetchKind kind) => kind switch
    {
        FetchKind.Page => _options.MaxHtmlBytes,
        FetchKind.Image => _options.MaxImageBytes,
        _ => _options.MaxRobotsBytes,
    };

    /// <summary>Fetches <paramref name="url"/>. <paramref name="beforeRequest"/> runs before every request (politeness).</summary>
    public async Task<FetchResult> FetchAsync(Uri url, FetchKind kind, HopCheck? hopCheck, Func<Uri, CancellationToken, Task>? beforeRequest, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var result = await _retry.ExecuteAsync(async ct =>
        {
            attempts++;
            return await FetchOnceAsync(url, kind, hopCheck, beforeRequest, ct);
        }, cancellationToken);
        return result with { Attempts = attempts };
    }

    private async ValueTask<FetchResult> FetchOnceAsync(Uri url, FetchKind kind, HopCheck? hopCheck, Func<Uri, CancellationToken, Task>? beforeRequest, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.FetchTimeout);
        // The deadline is for the server's answer: a politeness wait (a Crawl-delay of 30 s) pauses it, or every page
        // of a slow-rate site but the first would time out before it is even asked.
        var budget = _options.FetchTimeout;
        var running = System.Diagnostics.Stopwatch.StartNew();
        var current = url;
        int? status = null;
        try
        {
            for (var hop = 0; ; hop++)
            {
                if (current.Scheme != Uri.UriSchemeHttp && current.Scheme != Uri.UriSchemeHttps)
                {
                    return Fail(FetchStatus.OutOfScope, current, status, $"redirect to a {current.Scheme}: URL (only http and https are fetched)");
                }

                // Checked before the request so the refusal is recorded as such; the connect callback checks again.
                var (_, refusal) = await _guard.ResolveAsync(current.IdnHost, deadline.Token);
                if (refusal is not null)
                {
                    return Fail(FetchStatus.Blocked, current, status, $"blocked before connecting: {refusal}");
                }

                if (hop > 0 && hopCheck is not null && await hopCheck(current, deadline.Token) is { } refused)
                {
                    return refused;
                }

                if (beforeRequest is not null)
                {
                    deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                    budget -= running.Elapsed;
                    await beforeRequest(current, deadline.Token);
                    deadline.CancelAfter(budget > TimeSpan.Zero ? budget : TimeSpan.Zero);
                    running.Restart();
                }

                using var request = new HttpRequestMessage(HttpMethod.Get, current);
                request.Headers.Accept.ParseAdd(kind switch
                {
                    FetchKind.Page => "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                    FetchKind.Image => "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8",
                    _ => "text/plain,*/*;q=0.1",
                });
                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (hop >= _options.MaxRedirects)
                    {
                        return Fail(FetchStatus.TooManyRedirects, current, status, $"more than {_options.MaxRedirects} redirects");
                    }

                    var next = UrlNormalizer.Normalize(location.OriginalString, current);
                    if (next is null)
                    {
                        return Fail(FetchStatus.OutOfScope, current, status, $"redirect to an unusable location '{Clip(location.OriginalString, 200)}'");
                    }

                    current = next;
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    return Fail(FetchStatus.HttpError, current, status, $"HTTP {status} {response.ReasonPhrase}");
                }

                var contentType = response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant();
                if (WrongType(kind, contentType) is { } wrong)
                {
                    return Fail(FetchStatus.WrongContentType, current, status, wrong) with { ContentType = contentType };
                }

                var cap = CapFor(kind);
                if (kind != FetchKind.Robots && response.Content.Headers.ContentLength is { } declared && declared > cap
                    && response.Content.Headers.ContentEncoding.Count == 0)
                {
                    return Fail(FetchStatus.TooLarge, current, status, $"Content-Length {declared:N0} bytes is over the {cap:N0} byte cap");
                }

                var (body, truncated) = await ReadCappedAsync(response.Content, cap, deadline.Token);
                if (truncated && kind != FetchKind.Robots)
                {
                    return Fail(FetchStatus.TooLarge, current, status, $"body is over the {cap:N0} byte cap (after decompression)");
                }

                // robots.txt: parse what fits in the cap and ignore the rest (RFC 9309 section 2.5).
                return new FetchResult(FetchStatus.Ok, current, status, contentType, body, null, 1, Charset: response.Content.Headers.ContentType?.CharSet);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(FetchStatus.Timeout, current, status, $"no complete answer within {_options.FetchTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex) when (Find<BlockedAddressException>(ex) is { } blocked)
        {
            return Fail(FetchStatus.Blocked, current, status, $"blocked at connect: {blocked.Message}");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or System.Net.Sockets.SocketException)
        {
            return Fail(FetchStatus.NetworkError, current, status, $"{ex.GetType().Name}: {Clip(ex.Message, 300)}");
        }
    }

    private static string? WrongType(FetchKind kind, string? contentType) => kind switch
    {
        FetchKind.Page when contentType is not ("text/html" or "application/xhtml+xml") => $"Content-Type {contentType ?? "(none)"} is not HTML",
        FetchKind.Image when contentType is null || !contentType.StartsWith("image/", StringComparison.Ordinal) => $"Content-Type {contentType ?? "(none)"} is not an image type",
        _ => null,
    };

    /// <summary>Reads at most <paramref name="cap"/> bytes; says whether more were on offer.</summary>
    private static async Task<(byte[] Body, bool Truncated)> ReadCappedAsync(HttpContent content, long cap, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                return (buffer.ToArray(), false);
            }

            var room = cap - buffer.Length;
            if (read > room)
            {
                buffer.Write(chunk, 0, (int)room);
                return (buffer.ToArray(), true);
            }

            buffer.Write(chunk, 0, read);
        }
    }

    private static FetchResult Fail(FetchStatus status, Uri url, int? httpStatus, string reason) => new(status, url, httpStatus, null, null, reason, 1);

    private static T? Find<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }

        return null;
    }

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max];

    public void Dispose() => _client.Dispose();
}
