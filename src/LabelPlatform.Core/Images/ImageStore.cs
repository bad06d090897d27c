using LabelPlatform.Core.Data;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Images;

/// <summary>
/// Content-addressed files under the data directory: originals at images/ab/cd/{sha256}.{ext}, thumbnails at
/// thumbs/ab/{sha256}.jpg. The same bytes are written once, whichever dataset they belong to.
/// </summary>
public sealed class ImageStore(IOptions<StorageOptions> options)
{
    private readonly StorageOptions _options = options.Value;

    public static string Extension(string format) => format.ToUpperInvariant() switch
    {
        "JPEG" => "jpg",
        "PNG" => "png",
        "GIF" => "gif",
        "BMP" => "bmp",
        "WEBP" => "webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not an allowed format"),
    };

    public static string ContentType(string format) => format.ToUpperInvariant() switch
    {
        "JPEG" => "image/jpeg",
        "PNG" => "image/png",
        "GIF" => "image/gif",
        "BMP" => "image/bmp",
        "WEBP" => "image/webp",
        _ => "application/octet-stream",
    };

    public string OriginalPath(string sha256, string format)
    {
        Guard(sha256);
        return Path.Combine(_options.ImagesPath, sha256[..2], sha256[2..4], $"{sha256}.{Extension(format)}");
    }

    /// <summary><see cref="OriginalPath"/> relative to the data directory (images/ab/cd/{sha256}.{ext}), for manifests.</summary>
    public string OriginalPathInDataDirectory(string sha256, string format) => Path.GetRelativePath(_options.RootPath, OriginalPath(sha256, format));

    public string ThumbnailPath(string sha256)
    {
        Guard(sha256);
        return Path.Combine(_options.ThumbnailsPath, sha256[..2], $"{sha256}.jpg");
    }

    /// <summary>Writes the original and its thumbnail unless they are already there. Safe to call concurrently.</summary>
    public async Task SaveAsync(ValidatedImage image, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await WriteOnceAsync(OriginalPath(image.Sha256, image.Format), bytes, cancellationToken);
        await WriteOnceAsync(ThumbnailPath(image.Sha256), image.Thumbnail, cancellationToken);
    }

    private static async Task WriteOnceAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Write beside the target and rename, so a killed process never leaves a half-written file under the final name.
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await File.WriteAllBytesAsync(temp, bytes.ToArray(), cancellationToken);
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another writer stored the same content first: same bytes, nothing to do.
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static void Guard(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("not a lower-case hex SHA-256", nameof(sha256));
        }
    }
}
