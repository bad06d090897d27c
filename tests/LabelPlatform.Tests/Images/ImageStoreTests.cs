using LabelPlatform.Core.Images;

using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Images;

public sealed class ImageStoreTests : IDisposable
{
    private readonly TempFolder _root = new();
    private readonly ImageStore _store;

    public ImageStoreTests()
    {
        _store = new ImageStore(new FileSystemBlobStorage(_root.Path));
    }

    // Where the file-system storage puts each key (the layout every existing data directory has).
    private string OriginalPath(string sha, string format) => Path.Combine([_root.Path, .. ImageStore.OriginalKey(sha, format).Split('/')]);

    private string ThumbnailPath(string sha) => Path.Combine([_root.Path, .. ImageStore.ThumbnailKey(sha).Split('/')]);

    public void Dispose() => _root.Dispose();

    private static ValidatedImage Validated(byte[] bytes)
    {
        var check = new ImageValidator(Microsoft.Extensions.Options.Options.Create(new ImageValidationOptions())).Check(bytes);
        Assert.True(check.Accepted, check.RejectionReason);
        return check.Image!;
    }

    private IEnumerable<string> AllFiles() => Directory.EnumerateFiles(_root.Path, "*", SearchOption.AllDirectories);

    [Fact]
    public void Paths_fan_out_by_the_leading_hex_digits()
    {
        var sha = new string('a', 2) + new string('b', 2) + new string('0', 60);

        Assert.Equal($"images/aa/bb/{sha}.jpg", ImageStore.OriginalKey(sha, "JPEG"));
        Assert.Equal($"images/aa/bb/{sha}.webp", ImageStore.OriginalKey(sha, "webp"));
        Assert.Equal($"thumbs/aa/{sha}.jpg", ImageStore.ThumbnailKey(sha));
    }

    [Theory]
    [InlineData("JPEG", "jpg", "image/jpeg")]
    [InlineData("PNG", "png", "image/png")]
    [InlineData("GIF", "gif", "image/gif")]
    [InlineData("BMP", "bmp", "image/bmp")]
    [InlineData("WEBP", "webp", "image/webp")]
    [InlineData("jpeg", "jpg", "image/jpeg")]
    public void Maps_allowed_formats_to_extension_and_content_type(string format, string extension, string contentType)
    {
        Assert.Equal(extension, ImageStore.Extension(format));
        Assert.Equal(contentType, ImageStore.ContentType(format));
    }

    [Fact]
    public void Refuses_a_format_outside_the_allow_list()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageStore.Extension("TIFF"));
        Assert.Equal("application/octet-stream", ImageStore.ContentType("TIFF"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("../../../../etc/passwd/00000000000000000000000000000000000000000")] // 64 chars, not hex
    [InlineData("ABCDEF0000000000000000000000000000000000000000000000000000000000")] // upper case
    [InlineData("00000000000000000000000000000000000000000000000000000000000000000")] // 65 digits
    public void Refuses_anything_but_a_lower_case_SHA256_as_a_file_name(string sha)
    {
        Assert.Throws<ArgumentException>(() => ImageStore.OriginalKey(sha, "JPEG"));
        Assert.Throws<ArgumentException>(() => ImageStore.ThumbnailKey(sha));
    }

    [Fact]
    public async Task Saves_the_original_and_its_thumbnail_byte_for_byte()
    {
        var bytes = TestImages.Png();
        var image = Validated(bytes);

        await _store.SaveAsync(image, bytes, CancellationToken.None);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(OriginalPath(image.Sha256, image.Format)));
        Assert.Equal(image.Thumbnail, await File.ReadAllBytesAsync(ThumbnailPath(image.Sha256)));
        Assert.Equal(2, AllFiles().Count());
    }

    [Fact]
    public async Task Never_overwrites_stored_content()
    {
        var bytes = TestImages.Png();
        var image = Validated(bytes);
        await _store.SaveAsync(image, bytes, CancellationToken.None);
        var path = OriginalPath(image.Sha256, image.Format);
        var written = File.GetLastWriteTimeUtc(path);

        // Different bytes under the same name can only come from a bug elsewhere; write-once keeps what is there.
        await _store.SaveAsync(image with { Thumbnail = [1, 2, 3] }, new byte[] { 9, 9, 9 }, CancellationToken.None);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.Equal(image.Thumbnail, await File.ReadAllBytesAsync(ThumbnailPath(image.Sha256)));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public async Task Writes_a_missing_thumbnail_when_the_original_is_already_stored()
    {
        var bytes = TestImages.Jpeg();
        var image = Validated(bytes);
        await _store.SaveAsync(image, bytes, CancellationToken.None);
        File.Delete(ThumbnailPath(image.Sha256));

        await _store.SaveAsync(image, bytes, CancellationToken.None);

        Assert.Equal(image.Thumbnail, await File.ReadAllBytesAsync(ThumbnailPath(image.Sha256)));
    }

    [Fact]
    public async Task Concurrent_saves_of_the_same_content_leave_one_complete_file_and_no_temporaries()
    {
        var bytes = TestImages.Bmp(256, 256); // ~190 KB, so writes take long enough to overlap
        var image = Validated(bytes);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => _store.SaveAsync(image, bytes, CancellationToken.None))));

        Assert.Equal(bytes, await File.ReadAllBytesAsync(OriginalPath(image.Sha256, image.Format)));
        Assert.Equal(image.Thumbnail, await File.ReadAllBytesAsync(ThumbnailPath(image.Sha256)));
        Assert.Equal(2, AllFiles().Count());
    }

    [Fact]
    public async Task A_cancelled_save_leaves_nothing_under_the_final_name_or_as_a_temporary()
    {
        var bytes = TestImages.Png();
        var image = Validated(bytes);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.SaveAsync(image, bytes, cancelled.Token));

        Assert.False(File.Exists(OriginalPath(image.Sha256, image.Format)));
        Assert.Empty(AllFiles());
    }

    [Fact]
    public async Task Refuses_a_validated_image_with_a_forged_hash()
    {
        var image = Validated(TestImages.Png()) with { Sha256 = "../../outside" };

        await Assert.ThrowsAsync<ArgumentException>(() => _store.SaveAsync(image, TestImages.Png(), CancellationToken.None));
        Assert.Empty(AllFiles());
    }
}
