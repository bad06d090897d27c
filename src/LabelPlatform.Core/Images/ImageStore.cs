namespace LabelPlatform.Core.Images;

/// <summary>
/// Content-addressed images: originals under the key images/ab/cd/{sha256}.{ext}, thumbnails under thumbs/ab/{sha256}.jpg,
/// in whichever <see cref="IBlobStorage"/> is configured (the data directory, a share, or an S3 bucket). The same bytes
/// are written once, whichever dataset they belong to.
/// </summary>
public sealed class ImageStore(IBlobStorage blobs)
{
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

    /// <summary>images/ab/cd/{sha256}.{ext}: the key of an original (the same relative path the data directory always had).</summary>
    public static string OriginalKey(string sha256, string format)
    {
        Guard(sha256);
        return $"images/{sha256[..2]}/{sha256[2..4]}/{sha256}.{Extension(format)}";
    }

    /// <summary>thumbs/ab/{sha256}.jpg: the key of a thumbnail.</summary>
    public static string ThumbnailKey(string sha256)
    {
        Guard(sha256);
        return $"thumbs/{sha256[..2]}/{sha256}.jpg";
    }

    /// <summary>Where an original lies, for people and manifests (a file path, or an s3:// address).</summary>
    public string DescribeOriginal(string sha256, string format) => blobs.Describe(OriginalKey(sha256, format));

    /// <summary>Writes the original and its thumbnail unless they are already there. Safe to call concurrently.</summary>
    public async Task SaveAsync(ValidatedImage image, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        // The original first: a thumbnail's presence then implies its original's (a crash between the two leaves an
        // original that the next save of the same bytes completes).
        await blobs.PutIfAbsentAsync(OriginalKey(image.Sha256, image.Format), bytes, cancellationToken);
        await blobs.PutIfAbsentAsync(ThumbnailKey(image.Sha256), image.Thumbnail, cancellationToken);
    }

    /// <summary>The original, open to stream, or null when the store does not have it.</summary>
    public Task<BlobStream?> OpenOriginalAsync(string sha256, string format, CancellationToken cancellationToken) =>
        blobs.OpenReadAsync(OriginalKey(sha256, format), cancellationToken);

    public Task<BlobStream?> OpenThumbnailAsync(string sha256, CancellationToken cancellationToken) =>
        blobs.OpenReadAsync(ThumbnailKey(sha256), cancellationToken);

    /// <summary>The original's bytes; a missing one throws <see cref="FileNotFoundException"/> (an IOException, as reading a missing file always did).</summary>
    public async Task<byte[]> ReadOriginalAsync(string sha256, string format, CancellationToken cancellationToken)
    {
        await using var blob = await OpenOriginalAsync(sha256, format, cancellationToken)
            ?? throw new FileNotFoundException($"image {sha256}.{Extension(format)} is missing from the store", blobs.Describe(OriginalKey(sha256, format)));
        var bytes = new byte[blob.Length];
        await blob.Stream.ReadExactlyAsync(bytes, cancellationToken);
        return bytes;
    }

    public Task<bool> HasOriginalAsync(string sha256, string format, CancellationToken cancellationToken) =>
        blobs.ExistsAsync(OriginalKey(sha256, format), cancellationToken);

    public Task<bool> HasThumbnailAsync(string sha256, CancellationToken cancellationToken) =>
        blobs.ExistsAsync(ThumbnailKey(sha256), cancellationToken);

    /// <summary>Removes an original and its thumbnail (the caller has checked no image row refers to the bytes any more).</summary>
    public async Task DeleteAsync(string sha256, string format, CancellationToken cancellationToken)
    {
        await blobs.DeleteAsync(ThumbnailKey(sha256), cancellationToken);
        await blobs.DeleteAsync(OriginalKey(sha256, format), cancellationToken);
    }

    private static void Guard(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("not a lower-case hex SHA-256", nameof(sha256));
        }
    }
}
