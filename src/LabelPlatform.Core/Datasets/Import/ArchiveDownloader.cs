using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// Downloads an archive for import with a size cap (checked on Content-Length and again on the bytes received), one
/// deadline for the whole transfer (a server that never ends its body is cut off), and an optional SHA-256 pin.
/// </summary>
public sealed class ArchiveDownloader(IHttpClientFactory httpClients, IOptions<ImportOptions> options)
{
    public const string HttpClientName = "archive-download";

    /// <param name="maxBytes">Size cap; default Import:MaxDownloadBytes.</param>
    public async Task<string> DownloadAsync(string url, string? expectedSha256, string destination, IProgress<long>? progress, CancellationToken cancellationToken, long? maxBytes = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ImportSourceException("the archive URL must be an absolute http:// or https:// URL");
        }

        var pin = expectedSha256?.Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(pin) && (pin.Length != 64 || !pin.All(char.IsAsciiHexDigit)))
        {
            throw new ImportSourceException("the SHA-256 pin must be 64 hex digits");
        }

        var cap = maxBytes ?? options.Value.MaxDownloadBytes;
        var timeout = options.Value.DownloadTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var client = httpClients.CreateClient(HttpClientName);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temp = destination + ".part";
        try
        {
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new ImportSourceException($"download failed: the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength is { } declared && declared > cap)
            {
                throw new ImportSourceException($"download refused: the server announces {declared:N0} bytes, over the {cap:N0} byte cap");
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var body = await response.Content.ReadAsStreamAsync(deadline.Token))
            await using (var file = File.Create(temp))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, deadline.Token)) > 0)
                {
                    total += read;
                    if (total > cap)
                    {
                        throw new ImportSourceException($"download stopped: more than the {cap:N0} byte cap was sent");
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), deadline.Token);
                    progress?.Report(total);
                }
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.IsNullOrEmpty(pin) && actual != pin)
            {
                throw new ImportSourceException($"download refused: SHA-256 is {actual}, the pin says {pin}");
            }

            File.Move(temp, destination, overwrite: true);
            return actual;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImportSourceException($"download stopped: not finished within {timeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // IOException: the connection broke off while the body was read ("response ended prematurely",
            // "connection reset by peer" under load), or the local disk refused the file: either way a failed download.
            throw new ImportSourceException($"download failed: {ex.Message}", ex);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
