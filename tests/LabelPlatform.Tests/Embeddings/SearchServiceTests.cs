using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Search;
using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Embeddings;

public class SearchServiceTests
{
    [Fact]
    public async Task Index_catches_up_with_new_embeddings_and_the_hnsw_index_agrees_with_the_exact_one()
    {
        await using var platform = await CorePlatform.StartAsync(new() { ["Search:Ann"] = "true" });
        using var first = new ImportFolder().AddCaltech("accordion", 5).AddCaltech("Faces", 5);
        await platform.ImportFolderAsync("sync", first.Root);
        var model = (await platform.Get<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        await platform.EmbedAsync("sync", model);
        var search = platform.Get<SearchService>();
        var dataset = (await platform.Get<DatasetService>().FindByNameAsync("sync"))!;
        var query = await File.ReadAllBytesAsync(TestImages.CaltechFiles("anchor", 1).First());

        var before = await search.SearchAsync(new SearchQuery { DatasetId = dataset.Id, Model = model, K = 3, ImageBytes = query }, CancellationToken.None);
        using (var more = new ImportFolder().AddCaltech("anchor", 3))
        {
            await platform.ImportFolderAsync("sync", more.Root);
        }

        await platform.EmbedAsync("sync", model);
        var exact = await search.SearchAsync(new SearchQuery { DatasetId = dataset.Id, Model = model, K = 5, ImageBytes = query }, CancellationToken.None);
        var approximate = await search.SearchAsync(new SearchQuery { DatasetId = dataset.Id, Model = model, K = 5, ImageBytes = query, Approximate = true }, CancellationToken.None);

        Assert.Equal(10, before.IndexSize);
        Assert.DoesNotContain(before.Results, r => r.ClassName == "anchor");
        // Without a restart, the three new anchors are found, the query's own file first.
        Assert.Equal(13, exact.IndexSize);
        Assert.Equal("anchor/image_0001.jpg", exact.Results[0].Origin);
        Assert.True(exact.Results[0].Score >= 0.9999f);
        Assert.Equal(exact.Results.Select(r => r.ImageId), approximate.Results.Select(r => r.ImageId));
        Assert.True(approximate.Approximate);
    }

    [Fact]
    public async Task Approximate_queries_are_refused_when_the_server_keeps_no_hnsw_index()
    {
        await using var platform = await CorePlatform.StartAsync();
        using var folder = new ImportFolder().AddCaltech("accordion", 1);
        await platform.ImportFolderAsync("no-ann", folder.Root);
        var model = (await platform.Get<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        var dataset = (await platform.Get<DatasetService>().FindByNameAsync("no-ann"))!;

        var error = await Assert.ThrowsAsync<SearchException>(() => platform.Get<SearchService>().SearchAsync(
            new SearchQuery { DatasetId = dataset.Id, Model = model, ImageBytes = TestImages.Jpeg(), Approximate = true }, CancellationToken.None));

        Assert.Contains("Search:Ann", error.Message, StringComparison.Ordinal);
    }
}
