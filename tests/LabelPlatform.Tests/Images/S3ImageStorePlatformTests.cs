using System.Net;
using System.Net.Http.Headers;
using Amazon.S3.Model;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Images;

/// <summary>
/// The whole platform with its images in an S3 bucket (a real s3rver on loopback): import writes the objects, the
/// image endpoints stream them with their caching headers, embedding reads them, and deletion removes them; the data
/// directory never holds an image.
/// </summary>
public sealed class S3ImageStorePlatformTests(S3rverServer server) : IClassFixture<S3rverServer>
{
    private async Task<List<string>> KeysAsync(string prefix)
    {
        using var client = server.Client();
        var listing = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverServer.Bucket, Prefix = prefix + "/" });
        return (listing.S3Objects ?? []).Select(o => o.Key[(prefix.Length + 1)..]).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task Import_serve_embed_and_delete_all_go_through_the_bucket()
    {
        var prefix = $"platform-{Guid.NewGuid():N}";
        using var factory = new PlatformFactory();
        foreach (var (key, value) in server.Settings(prefix))
        {
            factory.With(key, value);
        }

        var originals = new[] { TestImages.Png(40, 30, 10), TestImages.Jpeg(64, 48, 80), TestImages.Png(50, 50, 160) };
        using var folder = new ImportFolder().Add("a/one.png", originals[0]).Add("a/two.jpg", originals[1]).Add("b/three.png", originals[2]);
        var services = factory.Services;
        var dataset = await services.GetRequiredService<DatasetService>().GetOrCreateAsync("on-s3", null, "test");
        var runs = services.GetRequiredService<JobRunService>();
        var import = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder.Root }, "test");
        await services.GetRequiredService<ImportDatasetJob>().ImportAsync(import.Id, CancellationToken.None);

        List<DatasetImage> images;
        await using (var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            images = await db.Images.AsNoTracking().Where(i => i.DatasetId == dataset.Id).OrderBy(i => i.Id).ToListAsync();
        }

        Assert.Equal(3, images.Count);
        var expectedKeys = images.SelectMany(i => new[] { Core.Images.ImageStore.OriginalKey(i.Sha256, i.Format), Core.Images.ImageStore.ThumbnailKey(i.Sha256) })
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedKeys, await KeysAsync(prefix));
        Assert.False(Directory.Exists(Path.Combine(factory.DataDirectory, "images")), "an original was written to the data directory");
        Assert.False(Directory.Exists(Path.Combine(factory.DataDirectory, "thumbs")), "a thumbnail was written to the data directory");

        // Served from the bucket, with the content-addressed caching headers.
        var admin = await factory.SignInAdminAsync();
        foreach (var image in images)
        {
            var file = await admin.GetAsync($"/images/{image.Id}/file");
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Contains(await file.Content.ReadAsByteArrayAsync(), originals);
            Assert.Equal($"\"{image.Sha256}\"", file.Headers.ETag?.Tag);
            Assert.True(file.Headers.CacheControl?.Private);
            Assert.Contains("immutable", file.Headers.CacheControl?.ToString(), StringComparison.Ordinal);

            var thumb = await admin.GetAsync($"/images/{image.Id}/thumb");
            Assert.Equal("image/jpeg", thumb.Content.Headers.ContentType?.MediaType);
            using var decoded = SixLabors.ImageSharp.Image.Load(await thumb.Content.ReadAsByteArrayAsync());
            Assert.InRange(Math.Max(decoded.Width, decoded.Height), 1, 256);

            var conditional = new HttpRequestMessage(HttpMethod.Get, $"/images/{image.Id}/file");
            conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{image.Sha256}\""));
            Assert.Equal(HttpStatusCode.NotModified, (await admin.SendAsync(conditional)).StatusCode);
        }

        // Embedding reads every original from the bucket.
        var model = (await services.GetRequiredService<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        var embed = await runs.CreateAsync(JobKinds.Embed, dataset.Id, new EmbedParameters(model.Id), "test");
        var summary = await services.GetRequiredService<EmbedDatasetJob>().RunAsync(embed.Id, CancellationToken.None);
        Assert.Equal((3, 0), (summary!.Embedded, summary.Failed));

        // Deleting two images removes exactly their objects.
        var result = await services.GetRequiredService<ImageDeletion>().DeleteAsync(dataset.Id, [images[0].Id, images[1].Id]);
        Assert.Equal(2, result.FilesDeleted);
        Assert.Equal(
            [Core.Images.ImageStore.OriginalKey(images[2].Sha256, images[2].Format), Core.Images.ImageStore.ThumbnailKey(images[2].Sha256)],
            await KeysAsync(prefix));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/images/{images[0].Id}/file")).StatusCode);
    }
}
