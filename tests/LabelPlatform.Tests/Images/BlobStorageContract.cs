using Amazon.S3.Model;
using LabelPlatform.Core.Images;
using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Images;

/// <summary>
/// What every image storage must do, run against each implementation: the file system in a temp folder, and S3
/// against a real s3rver on loopback. <see cref="StoredKeysAsync"/> looks at the backend directly (files, or a bucket
/// listing through a separate client), so a test sees what is really stored, not what the implementation says.
/// </summary>
public abstract class BlobStorageContract
{
    protected abstract IBlobStorage Storage { get; }

    /// <summary>Every key present in the backend under this storage's root or prefix, temporaries included.</summary>
    protected abstract Task<List<string>> StoredKeysAsync();

    private ImageStore Store => new(Storage);

    private static ValidatedImage Validated(byte[] bytes)
    {
        var check = new ImageValidator(Microsoft.Extensions.Options.Options.Create(new ImageValidationOptions())).Check(bytes);
        Assert.True(check.Accepted, check.RejectionReason);
        return check.Image!;
    }

    private static async Task<byte[]> ReadAllAsync(BlobStream blob)
    {
        await using (blob)
        {
            using var copy = new MemoryStream();
            await blob.Stream.CopyToAsync(copy);
            Assert.Equal(copy.Length, blob.Length);
            return copy.ToArray();
        }
    }

    [Fact]
    public async Task A_saved_image_is_stored_under_its_content_addressed_keys_byte_for_byte()
    {
        var bytes = TestImages.Png();
        var image = Validated(bytes);

        await Store.SaveAsync(image, bytes, CancellationToken.None);

        var sha = image.Sha256;
        Assert.Equal([$"images/{sha[..2]}/{sha[2..4]}/{sha}.png", $"thumbs/{sha[..2]}/{sha}.jpg"], (await StoredKeysAsync()).Order(StringComparer.Ordinal));
        Assert.Equal(bytes, await Store.ReadOriginalAsync(sha, image.Format, CancellationToken.None));
        Assert.Equal(bytes, await ReadAllAsync((await Store.OpenOriginalAsync(sha, image.Format, CancellationToken.None))!));
        Assert.Equal(image.Thumbnail, await ReadAllAsync((await Store.OpenThumbnailAsync(sha, CancellationToken.None))!));
        Assert.True(await Store.HasOriginalAsync(sha, image.Format, CancellationToken.None));
        Assert.True(await Store.HasThumbnailAsync(sha, CancellationToken.None));
    }

    [Fact]
    public async Task A_missing_object_reads_as_absent_and_deleting_it_is_harmless()
    {
        var sha = new string('e', 64);

        Assert.Null(await Store.OpenOriginalAsync(sha, "JPEG", CancellationToken.None));
        Assert.Null(await Store.OpenThumbnailAsync(sha, CancellationToken.None));
        Assert.False(await Store.HasOriginalAsync(sha, "JPEG", CancellationToken.None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.ReadOriginalAsync(sha, "JPEG", CancellationToken.None));
        await Store.DeleteAsync(sha, "JPEG", CancellationToken.None);
        Assert.Empty(await StoredKeysAsync());
    }

    [Fact]
    public async Task A_second_put_of_a_key_never_replaces_what_is_stored()
    {
        var key = ImageStore.OriginalKey(new string('a', 64), "JPEG");
        await Storage.PutIfAbsentAsync(key, new byte[] { 1, 2, 3 }, CancellationToken.None);

        // Different bytes under the same content address can only come from a bug elsewhere: write-once keeps the first.
        await Storage.PutIfAbsentAsync(key, new byte[] { 9, 9, 9, 9 }, CancellationToken.None);

        Assert.Equal([1, 2, 3], await ReadAllAsync((await Storage.OpenReadAsync(key, CancellationToken.None))!));
        Assert.Equal([key], await StoredKeysAsync());
    }

    [Fact]
    public async Task Concurrent_saves_of_the_same_content_leave_one_complete_object_per_key_and_nothing_else()
    {
        var bytes = TestImages.Bmp(256, 256); // ~190 KB, so writes overlap
        var image = Validated(bytes);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.SaveAsync(image, bytes, CancellationToken.None))));

        Assert.Equal(bytes, await Store.ReadOriginalAsync(image.Sha256, image.Format, CancellationToken.None));
        Assert.Equal(image.Thumbnail, await ReadAllAsync((await Store.OpenThumbnailAsync(image.Sha256, CancellationToken.None))!));
        Assert.Equal(2, (await StoredKeysAsync()).Count);
    }

    [Fact]
    public async Task A_cancelled_save_leaves_no_object_at_all()
    {
        var bytes = TestImages.Png();
        var image = Validated(bytes);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.SaveAsync(image, bytes, cancelled.Token));

        Assert.False(await Store.HasOriginalAsync(image.Sha256, image.Format, CancellationToken.None));
        Assert.Empty(await StoredKeysAsync());
    }

    [Fact]
    public async Task Delete_removes_the_original_and_its_thumbnail_and_nothing_else()
    {
        var kept = TestImages.Png();
        var gone = TestImages.Jpeg();
        var keptImage = Validated(kept);
        var goneImage = Validated(gone);
        await Store.SaveAsync(keptImage, kept, CancellationToken.None);
        await Store.SaveAsync(goneImage, gone, CancellationToken.None);

        await Store.DeleteAsync(goneImage.Sha256, goneImage.Format, CancellationToken.None);

        Assert.False(await Store.HasOriginalAsync(goneImage.Sha256, goneImage.Format, CancellationToken.None));
        Assert.False(await Store.HasThumbnailAsync(goneImage.Sha256, CancellationToken.None));
        Assert.Equal([ImageStore.OriginalKey(keptImage.Sha256, keptImage.Format), ImageStore.ThumbnailKey(keptImage.Sha256)], (await StoredKeysAsync()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("../outside.jpg")]
    [InlineData("images/../../outside.jpg")]
    [InlineData("/images/a.jpg")]
    [InlineData("images//a.jpg")]
    [InlineData("Images/A.jpg")]
    public async Task Keys_that_could_leave_the_store_are_refused(string key)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.PutIfAbsentAsync(key, new byte[] { 1 }, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => Storage.OpenReadAsync(key, CancellationToken.None));
        Assert.Empty(await StoredKeysAsync());
    }
}

public sealed class FileSystemBlobStorageTests : BlobStorageContract, IDisposable
{
    private readonly TempFolder _root = new();
    private readonly FileSystemBlobStorage _storage;

    public FileSystemBlobStorageTests() => _storage = new FileSystemBlobStorage(_root.Path);

    protected override IBlobStorage Storage => _storage;

    protected override Task<List<string>> StoredKeysAsync() => Task.FromResult(Directory.EnumerateFiles(_root.Path, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(_root.Path, f).Replace(Path.DirectorySeparatorChar, '/')).ToList());

    [Fact]
    public void Keys_are_paths_under_the_root()
    {
        var key = ImageStore.OriginalKey(new string('b', 64), "WEBP");
        Assert.Equal(Path.Combine(_root.Path, "images", "bb", "bb", new string('b', 64) + ".webp"), _storage.Describe(key));
    }

    public void Dispose() => _root.Dispose();
}

/// <summary>The same contract against a real S3 server; each test gets its own key prefix in the shared bucket.</summary>
public sealed class S3BlobStorageTests(S3rverServer server) : BlobStorageContract, IClassFixture<S3rverServer>, IDisposable
{
    private readonly string _prefix = $"t{Guid.NewGuid():N}";
    private S3BlobStorage? _storage;

    protected override IBlobStorage Storage => _storage ??= new S3BlobStorage(server.Options(_prefix));

    protected override async Task<List<string>> StoredKeysAsync()
    {
        using var client = server.Client();
        var listing = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverServer.Bucket, Prefix = _prefix + "/" });
        return (listing.S3Objects ?? []).Select(o => o.Key[(_prefix.Length + 1)..]).ToList();
    }

    [Fact]
    public async Task Objects_carry_the_prefix_and_another_prefix_in_the_same_bucket_does_not_see_them()
    {
        var key = ImageStore.ThumbnailKey(new string('c', 64));
        await Storage.PutIfAbsentAsync(key, new byte[] { 7, 7 }, CancellationToken.None);
        using var other = new S3BlobStorage(server.Options($"{_prefix}-other"));

        Assert.Equal($"s3://{S3rverServer.Bucket}/{_prefix}/{key}", Storage.Describe(key));
        Assert.True(await Storage.ExistsAsync(key, CancellationToken.None));
        Assert.False(await other.ExistsAsync(key, CancellationToken.None));
        using var client = server.Client();
        using var raw = await client.GetObjectAsync(S3rverServer.Bucket, $"{_prefix}/{key}");
        using var copy = new MemoryStream();
        await raw.ResponseStream.CopyToAsync(copy);
        Assert.Equal([7, 7], copy.ToArray());
    }

    public void Dispose() => _storage?.Dispose();
}
