using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Labelling.Queue;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Labelling;

/// <summary>The labelling queue's orders and what labellers are shown, over a real SQLite file.</summary>
public class LabelQueueTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A dataset shaped like Caltech 101 (its real folder sizes and names), rows only, stored folder by folder.</summary>
    private static async Task<(int DatasetId, Dictionary<long, int> ClassOf)> SeedCaltechShapeAsync(CorePlatform platform)
    {
        var dataset = await platform.Get<DatasetService>().GetOrCreateAsync("caltech-shape", null, "test");
        var folders = Directory.GetDirectories(LabelPlatform.Testing.SharedPaths.Caltech).Order(StringComparer.Ordinal).ToList();
        var classes = await platform.Get<DatasetService>().EnsureClassesAsync(dataset.Id, folders.Select(Path.GetFileName)!, "BACKGROUND_Google");
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var n = 0;
        foreach (var folder in folders)
        {
            var name = Path.GetFileName(folder);
            db.Images.AddRange(Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal).Select(f => new DatasetImage
            {
                DatasetId = dataset.Id, Sha256 = $"{n++:x}".PadLeft(64, '0'), Format = "JPEG", Origin = $"{name}/{Path.GetFileName(f)}",
                SourceClassId = classes[name], Width = 1, Height = 1, Bytes = 1, CreatedAt = Now,
            }));
        }

        await db.SaveChangesAsync();
        var classOf = await db.Images.Where(i => i.DatasetId == dataset.Id).ToDictionaryAsync(i => i.Id, i => i.SourceClassId!.Value);
        return (dataset.Id, classOf);
    }

    [Fact]
    public async Task A_labellers_first_fifty_Caltech_images_span_thirty_classes_in_no_folder_or_id_order()
    {
        await using var platform = await CorePlatform.StartAsync();
        var (datasetId, classOf) = await SeedCaltechShapeAsync(platform);
        var queue = platform.Get<LabelQueue>();

        var alice = await queue.NextAsync(datasetId, "alice", 50, []);
        var bob = await queue.NextAsync(datasetId, "bob", 50, []);

        Assert.Equal(50, alice.Count);
        Assert.True(alice.Select(id => classOf[id]).Distinct().Count() >= 30, $"{alice.Select(id => classOf[id]).Distinct().Count()} classes");
        Assert.True(bob.Select(id => classOf[id]).Distinct().Count() >= 30);
        Assert.NotEqual(alice.Order(), alice);
        // Never two in a row from one folder more than twice over the batch (a folder order would give 49).
        Assert.True(alice.Zip(alice.Skip(1)).Count(p => classOf[p.First] == classOf[p.Second]) <= 4);
        Assert.Empty(alice.Intersect(bob));
        Assert.InRange(alice.Min(), 1, long.MaxValue);
    }

    [Fact]
    public async Task The_uncertainty_order_puts_the_image_between_two_labelled_classes_first()
    {
        await using var platform = await CorePlatform.StartAsync();
        var dataset = await platform.Get<DatasetService>().GetOrCreateAsync("uncertain", null, "test");
        var classes = await platform.Get<DatasetService>().EnsureClassesAsync(dataset.Id, ["cats", "dogs"], null);
        var ids = new List<long>();
        await using (var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            var model = new EmbeddingModel { Name = "plane", Version = 1, Sha256 = new string('d', 64), SourceSha256 = new string('d', 64), Origin = "test", InputName = "in", OutputName = "out", Dimension = 2, CreatedAt = Now };
            db.EmbeddingModels.Add(model);
            // 10 cats near 0°, 10 dogs near 90°, 20 unlabelled near either, and one at 45°: added last, so an id order shows it last.
            var angles = Enumerable.Range(0, 10).Select(i => i * 0.5)
                .Concat(Enumerable.Range(0, 10).Select(i => 90 - i * 0.5))
                .Concat(Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? 1 + i * 0.2 : 89 - i * 0.2))
                .Append(45.0).ToList();
            var images = angles.Select((a, i) => new DatasetImage { DatasetId = dataset.Id, Sha256 = $"{i:x}".PadLeft(64, 'e'), Format = "JPEG", Origin = $"img-{i}.jpg", Width = 1, Height = 1, Bytes = 1, CreatedAt = Now }).ToList();
            db.Images.AddRange(images);
            await db.SaveChangesAsync();
            for (var i = 0; i < images.Count; i++)
            {
                float[] v = [(float)Math.Cos(angles[i] * Math.PI / 180), (float)Math.Sin(angles[i] * Math.PI / 180)];
                db.Embeddings.Add(new ImageEmbedding { ImageId = images[i].Id, ModelId = model.Id, Vector = VectorCodec.ToBytes(v), CreatedAt = Now });
            }

            await db.SaveChangesAsync();
            ids = [.. images.Select(i => i.Id)];
        }

        var labelling = platform.Get<LabelSubmissions>();
        await platform.Get<LabellingSettingsService>().SaveSettingsAsync(dataset.Id, overlap: 1, leaseSeconds: 60, modelId: null, "admin", QueueOrder.Uncertainty);
        for (var i = 0; i < 20; i++)
        {
            await labelling.SubmitAsync(new SubmitRequest(dataset.Id, "expert", $"e{i}", "single", [new LabelItem(ids[i], LabelEventKind.Label, classes[i < 10 ? "cats" : "dogs"])]));
        }

        var first = await platform.Get<LabelQueue>().NextAsync(dataset.Id, "newcomer", 1, []);

        Assert.Equal([ids[^1]], first);
    }

    [Fact]
    public async Task Suggestions_come_from_human_labels_not_import_labels_unless_the_dataset_shows_them()
    {
        var clock = new ManualClock(Now);
        await using var platform = await CorePlatform.StartAsync(configure: s => s.AddSingleton<TimeProvider>(clock));
        var data = await EvaluationSeed.CreateAsync(platform.Services, "hidden", classes: 3, perClass: 12);
        var suggestions = platform.Get<LabelSuggestions>();
        var labelling = platform.Get<LabelSubmissions>();
        var probe = data.ImageIds[0];

        var hidden = (await suggestions.SuggestAsync(data.DatasetId, [probe])).Single();
        await platform.Get<LabellingSettingsService>().SaveSettingsAsync(data.DatasetId, overlap: 1, leaseSeconds: 60, modelId: null, "admin", showImportLabels: true);
        var shown = (await suggestions.SuggestAsync(data.DatasetId, [probe])).Single();
        await platform.Get<LabellingSettingsService>().SaveSettingsAsync(data.DatasetId, overlap: 1, leaseSeconds: 60, modelId: null, "admin", showImportLabels: false);
        foreach (var id in data.ImageIds.Skip(1).Take(11))
        {
            await labelling.SubmitAsync(new SubmitRequest(data.DatasetId, "human", $"h{id}", "single", [new LabelItem(id, LabelEventKind.Label, data.ClassIds[1])]));
        }

        clock.Advance(TimeSpan.FromSeconds(6)); // hints may lag writes by up to 5 s
        var human = (await suggestions.SuggestAsync(data.DatasetId, [probe])).Single();

        Assert.Empty(hidden.Items);
        Assert.NotEmpty(shown.Items); // drawn from the neighbours' import labels
        Assert.Equal([data.ClassIds[1]], human.Items.Select(i => i.ClassId)); // only what people said, however odd
    }

    [Theory]
    [InlineData("anchor/image_0001.jpg", "image_0001.jpg")]
    [InlineData("anchor/anchor_01.jpg", "image 7")]
    [InlineData("BACKGROUND_Google/image_0001.jpg", "image_0001.jpg")]
    [InlineData("misc/background-google-3.jpg", "image 7")]
    [InlineData("set.zip!/sunflower/sun_flower.png", "image 7")]
    [InlineData("https://example.test/photos/IMG_2231.jpg?size=large&tag=anchor", "IMG_2231.jpg")]
    [InlineData("https://example.test/photos/Anchor.jpg", "image 7")]
    [InlineData("plain.jpg", "plain.jpg")]
    public void Labellers_see_no_folder_and_no_file_name_that_names_a_class(string origin, string expected) =>
        Assert.Equal(expected, LabellerView.Origin(7, origin, ["anchor", "BACKGROUND_Google", "sunflower", "ox"], showImportLabels: false));

    [Fact]
    public void With_import_labels_shown_the_whole_origin_is_shown() =>
        Assert.Equal("anchor/anchor_01.jpg", LabellerView.Origin(7, "anchor/anchor_01.jpg", ["anchor"], showImportLabels: true));
}
