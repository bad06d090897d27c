namespace LabelPlatform.Core.Images;

/// <summary>
/// Where the image store keeps its bytes: a flat namespace of '/'-separated keys (images/ab/cd/{sha256}.jpg). Writes are
/// put-if-absent and all-or-nothing: a reader never sees a partial object under a key, and writing a key that is
/// already there changes nothing (keys are content-addressed, so the same key always means the same bytes).
/// </summary>
public interface IBlobStorage
{
    /// <summary>Stores <paramref name="bytes"/> under <paramref name="key"/> unless it is already there. Safe to call concurrently.</summary>
    Task PutIfAbsentAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>The object as a stream to read, or null when there is none under the key.</summary>
    Task<BlobStream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the object; nothing happens when it is not there.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Where the key lies, for people (a file path, or s3://bucket/prefix/key).</summary>
    string Describe(string key);
}

/// <summary>An open object and its length (known up front on both backends, so responses can carry Content-Length).</summary>
public sealed record BlobStream(Stream Stream, long Length) : IAsyncDisposable, IDisposable
{
    public ValueTask DisposeAsync() => Stream.DisposeAsync();

    public void Dispose() => Stream.Dispose();
}
