using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace LabelPlatform.Core.Outbound;

/// <summary>
/// The platform's only way onto the network (crawler, archive import, model download): HttpClients whose connect
/// callback lets <see cref="NetworkGuard"/> judge every resolved address; http and https only; redirects followed by
/// hand (each hop checked again before it is requested); a deadline per attempt covering every hop and the body, and
/// one for each hop's headers; retries with exponential backoff and jitter (Polly) where the caller asks for them.
/// Failure reasons name the guard's decision, the status code or the kind of network error, never the target's words.
/// </summary>
public sealed class OutboundFetcher : IDisposable
{
    private readonly NetworkGuard _guard;
    private readonly HttpClient _decompressing;
    private readonly HttpClient _raw;

    public OutboundFetcher(NetworkGuard guard, IOptions<OutboundOptions> options)
    {
        _guard = guard;
        _decompressing = Client(DecompressionMethods.All, options.Value.ConnectTimeout);
        _raw = Client(DecompressionMethods.None, options.Value.ConnectTimeout);
    }

    public NetworkGuard Guard => _guard;

    private HttpClient Client(DecompressionMethods decompression, TimeSpan connectTimeout) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = decompression,
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = _guard.ConnectAsync,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Fetches <paramref name="url"/>; a successful final answer is handed to <paramref name="read"/>.</summary>
    public async Task<FetchResult> SendAsync(Uri url, FetchRequest request, ResponseReader read, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var retry = new ResiliencePipelineBuilder<FetchResult>()
            .AddRetry(new RetryStrategyOptions<FetchResult>
            {
                MaxRetryAttempts = Math.Max(1, request.MaxRetries),
                Delay = request.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(request.MaxRetries > 0 && args.Outcome.Result is { Transient: true }),
            })
            .Build();
        var result = await retry.ExecuteAsync(async ct =>
        {
            attempts++;
            return await SendOnceAsync(url, request, read, ct);
        }, cancellationToken);
        return result with { Attempts = attempts };
    }

    /// <summary>A reader that keeps at most <paramref name="cap"/> bytes in memory (counted after decompression).</summary>
    public static ResponseReader ReadBody(long cap, bool keepTruncated = false) => async (finalUrl, response, deadline) =>
    {
        var status = (int)response.StatusCode;
        if (!keepTruncated && response.Content.Headers.ContentLength is { } declared && declared > cap && response.Content.Headers.ContentEncoding.Count == 0)
        {
            return FetchResult.Fail(FetchStatus.TooLarge, finalUrl, status, $"Content-Length {declared:N0} bytes is over the {cap:N0} byte cap");
        }

        var (body, truncated) = await ReadCappedAsync(response.Content, cap, deadline);
        if (truncated && !keepTruncated)
        {
            return FetchResult.Fail(FetchStatus.TooLarge, finalUrl, status, $"body is over the {cap:N0} byte cap (after decompression)");
        }

        return new FetchResult(FetchStatus.Ok, finalUrl, status, response.Content.Headers.ContentType?.MediaType?.ToLowerInvariant(), body, null, 1,
            Charset: response.Content.Headers.ContentType?.CharSet);
    };

    private async Task<FetchResult> SendOnceAsync(Uri url, FetchRequest request, ResponseReader read, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(request.Deadline);
        var budget = request.Deadline;
        var running = Stopwatch.StartNew();
        var headersTimedOut = false;
        var current = url;
        int? status = null;
        try
        {
            for (var hop = 0; ; hop++)
            {
                if (current.Scheme != Uri.UriSchemeHttp && current.Scheme != Uri.UriSchemeHttps)
                {
                    return FetchResult.Fail(FetchStatus.OutOfScope, current, status, $"redirect to a {current.Scheme}: URL (only http and https are fetched)");
                }

                // Checked before the request so the refusal is recorded as such; the connect callback checks again.
                var (_, refusal) = await _guard.ResolveAsync(current.IdnHost, deadline.Token);
                if (refusal is not null)
                {
                    return FetchResult.Fail(FetchStatus.Blocked, current, status, $"blocked before connecting: {refusal}");
                }

                if (hop > 0 && request.HopCheck is not null && await request.HopCheck(current, deadline.Token) is { } refused)
                {
                    return refused;
                }

                if (request.BeforeRequest is not null)
                {
                    deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                    budget -= running.Elapsed;
                    await request.BeforeRequest(current, deadline.Token);
                    deadline.CancelAfter(budget > TimeSpan.Zero ? budget : TimeSpan.Zero);
                    running.Restart();
                }

                using var message = new HttpRequestMessage(HttpMethod.Get, current);
                if (request.Accept is not null)
                {
                    message.Headers.Accept.ParseAdd(request.Accept);
                }

                if (request.UserAgent is not null)
                {
                    message.Headers.UserAgent.ParseAdd(request.UserAgent);
                }

                using var response = await SendHeadersAsync(message, request, () => headersTimedOut = true, deadline.Token);
                status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    if (hop >= request.MaxRedirects)
                    {
                        return FetchResult.Fail(FetchStatus.TooManyRedirects, current, status, $"more than {request.MaxRedirects} redirects");
                    }

                    var next = request.ResolveRedirect is { } resolve ? resolve(location.OriginalString, current) : Resolve(location, current);
                    if (next is null)
                    {
                        return FetchResult.Fail(FetchStatus.OutOfScope, current, status, "redirect to an unusable location");
                    }

                    current = next;
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    return FetchResult.Fail(FetchStatus.HttpError, current, status, $"HTTP {status}");
                }

                return await read(current, response, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return headersTimedOut && !deadline.IsCancellationRequested
                ? FetchResult.Fail(FetchStatus.HeadersTimeout, current, status, $"no response headers within {request.HeadersDeadline!.Value.TotalSeconds:0.#} s")
                : FetchResult.Fail(FetchStatus.Timeout, current, status, $"no complete answer within {request.Deadline.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex) when (Find<BlockedAddressException>(ex) is { } blocked)
        {
            return FetchResult.Fail(FetchStatus.Blocked, current, status, $"blocked at connect: {blocked.Message}");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException or SocketException)
        {
            return FetchResult.Fail(FetchStatus.NetworkError, current, status, Describe(ex, current));
        }
    }

    /// <summary>Sends and waits for the headers, within the per-hop headers deadline when there is one.</summary>
    private async Task<HttpResponseMessage> SendHeadersAsync(HttpRequestMessage message, FetchRequest request, Action onHeadersTimeout, CancellationToken deadline)
    {
        var client = request.Decompress ? _decompressing : _raw;
        if (request.HeadersDeadline is not { } wait)
        {
            return await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline);
        }

        using var headers = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        headers.CancelAfter(wait);
        try
        {
            return await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, headers.Token);
        }
        catch (OperationCanceledException) when (headers.IsCancellationRequested && !deadline.IsCancellationRequested)
        {
            onHeadersTimeout();
            throw;
        }
    }

    private static Uri? Resolve(Uri location, Uri current)
    {
        if (!Uri.TryCreate(current, location, out var next))
        {
            return null;
        }

        return next.Fragment.Length == 0 ? next : new UriBuilder(next) { Fragment = "" }.Uri;
    }

    /// <summary>The kind of failure only: the exception's text can carry what the other side said or did.</summary>
    private static string Describe(Exception ex, Uri url) => ex switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => $"host name does not resolve: {url.IdnHost}",
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => "could not connect",
        HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS handshake failed",
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "the connection closed before the answer was complete",
        HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError } => "the answer is not valid HTTP",
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => $"host name does not resolve: {url.IdnHost}",
        SocketException => "could not connect",
        InvalidDataException => "the body could not be decompressed",
        IOException => "the connection broke off before the answer was complete",
        _ => "network error",
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

    public void Dispose()
    {
        _decompressing.Dispose();
        _raw.Dispose();
    }
}
