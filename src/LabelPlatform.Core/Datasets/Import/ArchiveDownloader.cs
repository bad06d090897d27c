using LabelPlatform.Core.Outbound;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// Downloads an archive for import through the platform's guarded <see cref="FileDownloader"/> (SSRF guard at connect,
/// redirects checked hop by hop, Import:MaxDownloadBytes, one Import:DownloadTimeout for the whole transfer, an
/// optional SHA-256 pin); a failure is an <see cref="ImportSourceException"/>.
/// </summary>
public sealed class ArchiveDownloader(FileDownloader downloader, IOptions<ImportOptions> options)
{
    /// <summary>Returns the archive's SHA-256.</summary>
    public async Task<string> DownloadAsync(string url, string? expectedSha256, string destination, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        try
        {
            return await downloader.DownloadAsync(url, expectedSha256, destination, options.Value.MaxDownloadBytes, options.Value.DownloadTimeout, progress, cancellationToken);
        }
        catch (DownloadException ex)
        {
            throw new ImportSourceException(ex.Message.StartsWith("the URL", StringComparison.Ordinal) ? "the archive " + ex.Message[4..] : ex.Message, ex);
        }
    }
}
