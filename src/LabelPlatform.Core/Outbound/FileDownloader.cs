using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Outbound;

/// <summary>A download that did not happen or was not kept; the message is for people and names no detail of the target's answer.</summary>
public sealed class DownloadException(string message, FetchStatus status) : Exception(message)
{
    public FetchStatus Status { get; } = status;

    /// <summary>The SSRF guard refused an address (of the URL or of a redirect hop) before any connection to it.</summary>
    public bool Blocked => Status == FetchStatus.Blocked;
}

/// <summary>
/// Downloads a file (an archive for import, a model) through <see cref="OutboundFetcher"/>: a size cap checked on
/// Content-Length and again on the bytes received, one deadline for the whole transfer (a server that never ends its
/// body is cut off), an optional SHA-256 pin; the file appears at its destination only when all of that held.
/// </summary>
public sealed class FileDownloader(OutboundFetcher fetcher, IOptions<OutboundOptions> options)
{
    /// <summary>Returns the SHA-256 (lower-case hex) of the file written to <paramref name="destination"/>.</summary>
    /// <exception cref="DownloadException">The URL, the pin or the transfer was refused or failed.</exception>
    public async Task<string> DownloadAsync(string url, string? expectedSha256, string destination, long maxBytes, TimeSpan timeout, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new DownloadException("the URL must be an absolute http:// or https:// URL", FetchStatus.OutOfScope);
        }

        var pin = expectedSha256?.Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(pin) && (pin.Length != 64 || !pin.All(char.IsAsciiHexDigit)))
        {
            throw new DownloadException("the SHA-256 pin must be 64 hex digits", FetchStatus.OutOfScope);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        var temp = destination + ".part";
        string? sha = null;
        string? refusal = null;
        var request = new FetchRequest
        {
            Deadline = timeout,
            HeadersDeadline = options.Value.ResponseHeadersTimeout < timeout ? options.Value.ResponseHeadersTimeout : null,
            MaxRedirects = options.Value.MaxRedirects,
            UserAgent = options.Value.DownloadUserAgent,
        };
        try
        {
            var result = await fetcher.SendAsync(uri, request, async (_, response, deadline) =>
            {
                if (response.Content.Headers.ContentLength is { } declared && declared > maxBytes)
                {
                    refusal = $"download refused: the server announces {declared:N0} bytes, over the {maxBytes:N0} byte cap";
                    return FetchResult.Fail(FetchStatus.TooLarge, uri, (int)response.StatusCode, refusal);
                }

                (sha, refusal) = await CopyCappedAsync(response.Content, temp, maxBytes, progress, deadline);
                return refusal is null ? new FetchResult(FetchStatus.Ok, uri, (int)response.StatusCode, null, null, null, 1) : FetchResult.Fail(FetchStatus.TooLarge, uri, null, refusal);
            }, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            if (!result.Ok)
            {
                throw new DownloadException(Message(result, timeout, refusal), result.Status);
            }

            if (!string.IsNullOrEmpty(pin) && sha != pin)
            {
                throw new DownloadException($"download refused: SHA-256 is {sha}, the pin says {pin}", FetchStatus.Ok);
            }

            File.Move(temp, destination, overwrite: true);
            return sha!;
        }
        catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Only the local file can throw here (network errors come back as results): the disk refused it.
            throw new DownloadException($"download failed: the file could not be written ({ex.GetType().Name})", FetchStatus.NetworkError);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static string Message(FetchResult result, TimeSpan timeout, string? refusal) => result.Status switch
    {
        FetchStatus.TooLarge => refusal ?? $"download refused: {result.Reason}",
        FetchStatus.Blocked => $"download refused: {result.Reason}",
        FetchStatus.Timeout => $"download stopped: not finished within {timeout.TotalSeconds:0} s",
        FetchStatus.HeadersTimeout => $"download stopped: {result.Reason}",
        FetchStatus.HttpError => $"download failed: the server answered {result.HttpStatus} ({Class(result.HttpStatus)})",
        FetchStatus.TooManyRedirects or FetchStatus.OutOfScope => $"download refused: {result.Reason}",
        _ => $"download failed: {result.Reason}",
    };

    private static string Class(int? status) => status switch
    {
        >= 500 => "a server error",
        >= 400 => "a client error",
        >= 300 => "a redirect without a usable location",
        _ => "not a success",
    };

    /// <summary>Streams the body to <paramref name="path"/>, hashing as it goes; stops past the cap.</summary>
    private static async Task<(string? Sha, string? Refusal)> CopyCappedAsync(HttpContent content, string path, long cap, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var body = await content.ReadAsStreamAsync(cancellationToken);
        await using var file = File.Create(path);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > cap)
            {
                return (null, $"download stopped: more than the {cap:N0} byte cap was sent");
            }

            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            progress?.Report(total);
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), null);
    }
}
