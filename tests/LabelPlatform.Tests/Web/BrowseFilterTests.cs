using LabelPlatform.Core.Browsing;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Review;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>The data browser's filters, sorts and paging on seeded rows: what comes back is checked against the rows.</summary>
public class BrowseFilterTests(BrowseFixture fixture) : IClassFixture<BrowseFixture>
{
    [Fact]
    public async Task Import_label_filter_shows_only_that_class()
    {
        var data = await fixture.SeedAsync();
        var expected = await fixture.ReadDbAsync(db => db.Images.Where(i => i.DatasetId == data.DatasetId && i.SourceClassId == data.ClassIds[1]).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync());

        var (ids, _) = await fixture.BrowseAsync(data.DatasetId, $"?import={data.ClassIds[1]}");

        Assert.Equal(20, expected.Count);
        Assert.Equal(expected, ids);
    }

    [Fact]
    public async Task Final_label_filter_by_class_and_rejected()
    {
        var data = await fixture.SeedAsync();
        var (a, b, c) = (data.ImageIds[0], data.ImageIds[1], data.ImageIds[2]);
        await fixture.DecideAsync(data.DatasetId, a, data.ClassIds[2]);
        await fixture.DecideAsync(data.DatasetId, b, data.ClassIds[2]);
        await fixture.DecideAsync(data.DatasetId, c, null, reject: true);

        Assert.Equal([a, b], (await fixture.BrowseAsync(data.DatasetId, $"?final={data.ClassIds[2]}")).Ids);
        Assert.Equal([c], (await fixture.BrowseAsync(data.DatasetId, "?final=rejected")).Ids);
        Assert.Equal([a, b, c], (await fixture.BrowseAsync(data.DatasetId, "?state=Final")).Ids);
    }

    [Fact]
    public async Task Consensus_vote_state_and_labeller_filters()
    {
        var data = await fixture.SeedAsync();
        var (agreed, single, split, decided) = (data.ImageIds[3], data.ImageIds[4], data.ImageIds[5], data.ImageIds[6]);
        await fixture.VoteAsync(data.DatasetId, "u1", agreed, data.ClassIds[1]);
        await fixture.VoteAsync(data.DatasetId, "u2", agreed, data.ClassIds[1]);
        await fixture.VoteAsync(data.DatasetId, "u1", single, data.ClassIds[0]);
        await fixture.VoteAsync(data.DatasetId, "u2", split, data.ClassIds[0]);
        await fixture.VoteAsync(data.DatasetId, "u3", split, data.ClassIds[2]);
        await fixture.DecideAsync(data.DatasetId, decided, data.ClassIds[0]);

        Assert.Equal([agreed], (await fixture.BrowseAsync(data.DatasetId, $"?consensus={data.ClassIds[1]}")).Ids);
        Assert.Empty((await fixture.BrowseAsync(data.DatasetId, $"?consensus={data.ClassIds[0]}")).Ids);
        Assert.Equal([agreed], (await fixture.BrowseAsync(data.DatasetId, "?state=Consensus")).Ids);
        Assert.Equal([single, split], (await fixture.BrowseAsync(data.DatasetId, "?state=NoConsensus")).Ids);
        Assert.Equal([decided], (await fixture.BrowseAsync(data.DatasetId, "?state=Final")).Ids);
        var none = (await fixture.BrowseAsync(data.DatasetId, "?state=NoVotes&size=240")).Ids;
        Assert.Equal(data.ImageIds.Except([agreed, single, split, decided]).Order(), none);
        Assert.Equal([agreed, single], (await fixture.BrowseAsync(data.DatasetId, "?labeller=u1")).Ids);
        // Filters combine: u2's votes that did not reach a consensus.
        Assert.Equal([split], (await fixture.BrowseAsync(data.DatasetId, "?labeller=u2&state=NoConsensus")).Ids);
    }

    [Fact]
    public async Task Near_duplicate_and_crawled_host_filters()
    {
        var data = await fixture.SeedAsync();
        var (dup, crawledA, crawledB, importedA) = (data.ImageIds[7], data.ImageIds[8], data.ImageIds[9], data.ImageIds[10]);
        await fixture.WithDbAsync(async db =>
        {
            var rows = await db.Images.Where(i => new[] { dup, crawledA, crawledB, importedA }.Contains(i.Id)).ToDictionaryAsync(i => i.Id);
            rows[dup].NearDuplicateOfId = data.ImageIds[0];
            (rows[crawledA].Source, rows[crawledA].Origin) = (ImageSource.Crawl, "http://Photos.Example/cats/1.jpg");
            (rows[crawledB].Source, rows[crawledB].Origin) = (ImageSource.Crawl, "https://other.example:8443/x.png");
            // Not crawled: an import whose origin happens to look like a URL of the same host.
            rows[importedA].Origin = "http://photos.example/2.jpg";
        });

        Assert.Equal([dup], (await fixture.BrowseAsync(data.DatasetId, "?dup=only")).Ids);
        var withoutDup = (await fixture.BrowseAsync(data.DatasetId, "?dup=exclude&size=240")).Ids;
        Assert.Equal(data.ImageIds.Except([dup]).Order(), withoutDup);
        var (ids, html) = await fixture.BrowseAsync(data.DatasetId, "?host=photos.example");
        Assert.Equal([crawledA], ids);
        Assert.Contains("<option value=\"other.example\"", html, StringComparison.Ordinal);
        Assert.Equal([crawledB], (await fixture.BrowseAsync(data.DatasetId, "?host=other.example")).Ids);
    }

    [Fact]
    public async Task Sort_by_similarity_orders_by_cosine_to_the_chosen_image()
    {
        var data = await fixture.SeedAsync();
        var like = data.ImageIds[25];
        var vectors = await fixture.ReadDbAsync(db => db.Embeddings.Where(e => e.ModelId == data.ModelId).ToDictionaryAsync(e => e.ImageId, e => VectorCodec.FromBytes(e.Vector)));
        var expected = vectors.OrderByDescending(v => VectorCodec.Cosine(vectors[like], v.Value)).ThenBy(v => v.Key).Select(v => v.Key).Take(30).ToList();

        var (ids, html) = await fixture.BrowseAsync(data.DatasetId, $"?sort=Similar&like={like}&size=30");

        Assert.Equal(like, ids[0]);
        Assert.Equal(expected, ids);
        Assert.Contains("data-field=\"score\"", html, StringComparison.Ordinal);
        // An image without a vector: said so, and id order.
        var (fallback, note) = await fixture.BrowseAsync(data.DatasetId, "?sort=Similar&like=999999&size=30");
        Assert.Equal(data.ImageIds.Order().Take(30), fallback);
        Assert.Contains("id=\"sort-note\"", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sort_by_uniqueness_puts_the_image_farthest_from_its_nearest_neighbour_first()
    {
        var data = await fixture.SeedAsync();
        var vectors = await fixture.ReadDbAsync(db => db.Embeddings.Where(e => e.ModelId == data.ModelId).ToDictionaryAsync(e => e.ImageId, e => VectorCodec.FromBytes(e.Vector)));
        double Nearest(long id) => vectors.Where(v => v.Key != id).Max(v => VectorCodec.Cosine(vectors[id], v.Value));
        var expected = vectors.Keys.OrderBy(Nearest).ThenBy(id => id).ToList();

        var (ids, html) = await fixture.BrowseAsync(data.DatasetId, "?sort=Uniqueness&size=240");

        Assert.Equal(expected, ids);
        Assert.Contains("Distance to the nearest other image", html, StringComparison.Ordinal);
        // An image deleted since the index loaded is no one's nearest neighbour any more.
        var nearestOfFirst = vectors.Where(v => v.Key != expected[^1]).MaxBy(v => VectorCodec.Cosine(vectors[expected[^1]], v.Value)).Key;
        Assert.Equal(System.Net.HttpStatusCode.Redirect, (await fixture.PostAsync(data.DatasetId, "Delete", [nearestOfFirst], new() { ["Understand"] = "true" })).StatusCode);
        vectors.Remove(nearestOfFirst);
        var again = vectors.Keys.OrderBy(Nearest).ThenBy(id => id).ToList();
        Assert.Equal(again, (await fixture.BrowseAsync(data.DatasetId, "?sort=Uniqueness&size=240")).Ids);
    }

    [Fact]
    public async Task Sort_by_model_disagreement_puts_the_disagreement_queue_first()
    {
        var data = await fixture.SeedAsync();
        // Three class-a images labelled class-c by two people: their neighbours (class a) disagree.
        var relabelled = data.ImageIds.Skip(12).Take(3).ToList();
        foreach (var id in relabelled)
        {
            await fixture.VoteAsync(data.DatasetId, "u1", id, data.ClassIds[2]);
            await fixture.VoteAsync(data.DatasetId, "u2", id, data.ClassIds[2]);
        }

        var queue = (await fixture.Factory.Services.GetRequiredService<ReviewQueues>().DisagreementsAsync(data.DatasetId, 100)).Select(d => d.ImageId).ToList();
        var (ids, _) = await fixture.BrowseAsync(data.DatasetId, "?sort=Disagreement&size=240");

        Assert.Equal(relabelled.Order(), queue.Order());
        Assert.Equal(queue, ids.Take(queue.Count));
        Assert.Equal(data.ImageIds.Except(queue).Order(), ids.Skip(queue.Count));
    }

    [Fact]
    public async Task Page_size_paging_and_jump_to_page()
    {
        var data = await fixture.SeedAsync();
        var all = data.ImageIds.Order().ToList();

        var (second, html) = await fixture.BrowseAsync(data.DatasetId, "?size=30&p=2");
        Assert.Equal(all.Skip(30).Take(30), second);
        Assert.Contains("<span id=\"page-count\">2</span>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"page-input\" min=\"1\" max=\"2\" value=\"2\"", html, StringComparison.Ordinal);
        // The jump form keeps the view's other values.
        Assert.Contains("<input type=\"hidden\" name=\"size\" value=\"30\" />", html, StringComparison.Ordinal);
        // Past the end: the last page; an offered size is honoured, any other falls back to 60.
        Assert.Equal(all.Skip(30).Take(30), (await fixture.BrowseAsync(data.DatasetId, "?size=30&p=99")).Ids);
        Assert.Equal(all, (await fixture.BrowseAsync(data.DatasetId, "?size=7")).Ids);
        Assert.Equal(all.Take(30), (await fixture.BrowseAsync(data.DatasetId, "?size=30&p=0")).Ids);
        Assert.Equal(BrowseFilter.DefaultPageSize, all.Count);
    }
}
