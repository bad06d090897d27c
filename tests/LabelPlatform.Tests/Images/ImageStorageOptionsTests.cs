using LabelPlatform.Core;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Images;

/// <summary>A wrong "Storage:Images" stops the platform at start-up, naming the key; the default stays the data directory.</summary>
public sealed class ImageStorageOptionsTests
{
    [Theory]
    [InlineData("Azure", null, "Storage:Images:Kind: 'Azure' is not a kind of image storage")]
    [InlineData("S3", null, "Storage:Images:S3:Bucket: must be set when Kind is S3")]
    [InlineData("S3", "not a url", "Storage:Images:S3:ServiceUrl: must be an absolute URL")]
    public void A_bad_storage_setting_is_a_start_up_problem_that_names_the_key(string kind, string? serviceUrl, string problem)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Images:Kind"] = kind, ["Storage:Images:S3:ServiceUrl"] = serviceUrl,
            ["Storage:Images:S3:Bucket"] = serviceUrl is null ? null : "bucket",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPlatformCore(configuration, Path.GetTempPath());
        using var provider = services.BuildServiceProvider();

        Assert.StartsWith(problem, Assert.Single(StartupSettings.Problems(provider)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task By_default_images_go_to_the_data_directory_as_before()
    {
        using var factory = new PlatformFactory();
        var storage = Assert.IsType<FileSystemBlobStorage>(factory.Services.GetService(typeof(IBlobStorage)));

        Assert.Equal(Path.GetFullPath(factory.DataDirectory), storage.Root);
        await storage.PutIfAbsentAsync(ImageStore.ThumbnailKey(new string('d', 64)), new byte[] { 1 }, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(factory.DataDirectory, "thumbs", "dd", new string('d', 64) + ".jpg")));
    }
}
