namespace LabelPlatform.Core.Outbound;

public enum FetchStatus
{
    Ok,
    HttpError,
    Blocked,
    Disallowed,
    OutOfScope,
    TooLarge,
    Timeout,
    HeadersTimeout,
    NetworkError,
    TooManyRedirects,
    WrongContentType,
}

/// <summary>One fetch's outcome: the body (capped) or why there is none, after every redirect hop and retry.</summary>
public sealed record FetchResult(FetchStatus Status, Uri FinalUrl, int? HttpStatus, string? ContentType, byte[]? Body, string? Reason, int Attempts, string? RobotsReason = null, string? Charset = null)
{
    public bool Ok => Status == FetchStatus.Ok;

    /// <summary>Worth another attempt: a 5xx, 408 or 429 answer, a timeout or a broken connection.</summary>
    public bool Transient => Status is FetchStatus.Timeout or FetchStatus.HeadersTimeout or FetchStatus.NetworkError
        || (Status == FetchStatus.HttpError && HttpStatus is >= 500 or 408 or 429);

    public static FetchResult Fail(FetchStatus status, Uri url, int? httpStatus, string reason) => new(status, url, httpStatus, null, null, reason, 1);
}

/// <summary>A redirect hop may be refused by the caller (scope, robots.txt) before it is requested.</summary>
public delegate Task<FetchResult?> HopCheck(Uri hop, CancellationToken cancellationToken);

/// <summary>Reads a successful final answer within the fetch's deadline; its exceptions are mapped like the request's.</summary>
public delegate Task<FetchResult> ResponseReader(Uri finalUrl, HttpResponseMessage response, CancellationToken deadline);

/// <summary>What one fetch asks of <see cref="OutboundFetcher"/>.</summary>
public sealed record FetchRequest
{
    /// <summary>One deadline per attempt, covering connect, every redirect hop and the whole body.</summary>
    public required TimeSpan Deadline { get; init; }

    /// <summary>Per hop, the longest wait for response headers; null: only <see cref="Deadline"/>.</summary>
    public TimeSpan? HeadersDeadline { get; init; }

    public int MaxRedirects { get; init; } = 5;

    /// <summary>Extra attempts after a transient failure (5xx, 408, 429, timeout, broken connection), with backoff.</summary>
    public int MaxRetries { get; init; }

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public string? Accept { get; init; }
    public string? UserAgent { get; init; }

    /// <summary>Pages are decompressed (and capped after it); downloads keep the bytes the server sent, so a pin still matches.</summary>
    public bool Decompress { get; init; }

    /// <summary>Runs before every hop is requested (after the guard's check of the hop), e.g. for scope and robots.txt.</summary>
    public HopCheck? HopCheck { get; init; }

    /// <summary>Runs before every request with the deadline paused (politeness waits are not the server's time).</summary>
    public Func<Uri, CancellationToken, Task>? BeforeRequest { get; init; }

    /// <summary>Turns a Location header into the next URL (null: unusable); default: resolved against the hop, fragment dropped.</summary>
    public Func<string, Uri, Uri?>? ResolveRedirect { get; init; }
}
