using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>The dataset page's thumbnail grid pages with ?page=N (Razor Pages' 'page' route value must not shadow it).</summary>
public class DatasetPagingTests
{
    [Fact]
    public async Task Page_two_of_the_thumbnails_shows_the_next_sixty_images()
    {
        await using var factory = new PlatformFactory();
        var admin = await factory.SignInAdminAsync();
        var dataset = await factory.Services.GetRequiredService<DatasetService>().GetOrCreateAsync("paged", null, "test");
        using (var scope = factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            db.Images.AddRange(Enumerable.Range(0, 130).Select(i => new DatasetImage
            {
                DatasetId = dataset.Id, Sha256 = $"{i:D4}".PadRight(64, 'a'), Format = "JPEG", Origin = $"folder/img-{i:D4}.jpg",
                Width = 1, Height = 1, Bytes = 1, CreatedAt = DateTimeOffset.UtcNow,
            }));
            await db.SaveChangesAsync();
        }

        var first = await admin.GetStringAsync($"/Datasets/Details/{dataset.Id}");
        var second = await admin.GetStringAsync($"/Datasets/Details/{dataset.Id}?page=2");
        var beyond = await admin.GetStringAsync($"/Datasets/Details/{dataset.Id}?page=99");

        Assert.Contains("Page 1 of 3", first, StringComparison.Ordinal);
        Assert.Contains("img-0000.jpg", first, StringComparison.Ordinal);
        Assert.Contains("Page 2 of 3", second, StringComparison.Ordinal);
        Assert.Contains("img-0060.jpg", second, StringComparison.Ordinal);
        Assert.DoesNotContain("img-0000.jpg", second, StringComparison.Ordinal);
        Assert.Contains("Page 3 of 3", beyond, StringComparison.Ordinal);
    }
}
