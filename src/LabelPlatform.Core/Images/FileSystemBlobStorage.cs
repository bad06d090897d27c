using LabelPlatform.Core.Data;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Images;

/// <summary>
/// Blobs as files under one folder (the data directory by default, or a mounted network share): key a/b/c.jpg is the
/// file {root}/a/b/c.jpg. A write goes to a temporary file beside the target and is renamed into place, so a killed
/// process never leaves a half-written file under the final name.
/// </summary>
public sealed class FileSystemBlobStorage : IBlobStorage
{
    public FileSystemBlobStorage(string root) => Root = Path.GetFullPath(root);

    public FileSystemBlobStorage(IOptions<ImageStorageOptions> images, IOptions<StorageOptions> storage)
        : this(string.IsNullOrWhiteSpace(images.Value.Path) ? storage.Value.RootPath : StorageOptions.ResolveRoot(images.Value.Path, storage.Value.ContentRoot))
    {
    }

    public string Root { get; }

    public async Task PutIfAbsentAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await file.WriteAsync(bytes, cancellationToken);
            }

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

    public Task<BlobStream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var file = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult<BlobStream?>(new BlobStream(file, file.Length));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<BlobStream?>(null);
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathOf(key)));

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        // File.Delete does nothing for a missing file (but throws for a missing folder).
        var path = PathOf(key);
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        return Task.CompletedTask;
    }

    public string Describe(string key) => PathOf(key);

    private string PathOf(string key) => Path.Combine([Root, .. BlobKeys.Check(key).Split('/')]);
}
