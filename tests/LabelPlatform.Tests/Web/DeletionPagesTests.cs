using System.Net;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Maps;
using LabelPlatform.Core.Review;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Web;

/// <summary>
/// Deleting a dataset, a model version and a crawl through their confirmation pages: the page states the counts
/// first, a wrong confirmation deletes nothing, the deletion removes what it said (files only when no other image
/// has the bytes), finished evaluation reports stay readable and say what was deleted, and running work is refused.
/// </summary>
public class DeletionPagesTests(BrowseFixture fixture) : IClassFixture<BrowseFixture>
{
    private ImageStore Store => fixture.Factory.Services.GetRequiredService<ImageStore>();

    private async Task WriteFilesAsync(IEnumerable<long> imageIds)
    {
        var ids = imageIds.ToList();
        var rows = await fixture.ReadDbAsync(db => db.Images.Where(i => ids.Contains(i.Id)).Select(i => new { i.Sha256, i.Format }).ToListAsync());
        foreach (var r in rows)
        {
            var blobs = fixture.Factory.Services.GetRequiredService<IBlobStorage>();
            await blobs.PutIfAbsentAsync(ImageStore.OriginalKey(r.Sha256, r.Format), new byte[] { 1, 2, 3 }, default);
            await blobs.PutIfAbsentAsync(ImageStore.ThumbnailKey(r.Sha256), new byte[] { 4, 5 }, default);
        }
    }

    private async Task<long> FinishedRunAsync(SeededDataset data, int? modelId)
    {
        var split = await fixture.Factory.Services.GetRequiredService<EvaluationService>().GetOrCreateSplitAsync(data.DatasetId, null, SplitProtocols.Article, 1, "test");
        return (await EvaluationSeed.EvaluateAsync(fixture.Factory.Services, data.DatasetId, split.Id, modelId)).Id;
    }

    [Fact]
    public async Task Deleting_a_dataset_states_its_counts_removes_it_and_keeps_its_evaluation_reports()
    {
        var data = await fixture.SeedAsync();
        var other = await fixture.SeedAsync();
        await WriteFilesAsync(data.ImageIds);
        // Image 0's bytes are also an image of the other dataset: that file must stay.
        var shared = await fixture.ReadDbAsync(db => db.Images.Where(i => i.Id == data.ImageIds[0]).Select(i => i.Sha256).FirstAsync());
        await fixture.WithDbAsync(async db => (await db.Images.FirstAsync(i => i.Id == other.ImageIds[0])).Sha256 = shared);
        var paths = await fixture.ReadDbAsync(db => db.Images.Where(i => i.DatasetId == data.DatasetId).Select(i => new { i.Id, i.Sha256, i.Format }).ToListAsync());
        await fixture.VoteAsync(data.DatasetId, "u1", data.ImageIds[1], data.ClassIds[0]);
        await fixture.VoteAsync(data.DatasetId, "u2", data.ImageIds[1], data.ClassIds[0]);
        await fixture.DecideAsync(data.DatasetId, data.ImageIds[2], data.ClassIds[0]);
        await fixture.PostAsync(data.DatasetId, "Flag", [data.ImageIds[3]]);
        var kept = await FinishedRunAsync(data, data.ModelId);
        // An unfinished run (its job queued, never run): nothing to keep, and its job must not start on what is gone.
        var splitId = await fixture.ReadDbAsync(db => db.EvaluationSplits.Where(s => s.DatasetId == data.DatasetId).Select(s => s.Id).FirstAsync());
        var (unfinished, queued) = await fixture.Factory.Services.GetRequiredService<EvaluationService>().CreateRunAsync(
            new EvaluationRequest { DatasetId = data.DatasetId, SplitId = splitId, ModelId = null, Ks = [1], MainK = 1, StartedBy = "test" }, enqueue: false);
        var crawlId = 0;
        await fixture.WithDbAsync(async db =>
        {
            db.EmbeddingMaps.Add(new EmbeddingMap { DatasetId = data.DatasetId, ModelId = data.ModelId, PointCount = 0, Points = [], ComputedAt = DateTimeOffset.UtcNow });
            var crawl = new Crawl { DatasetId = data.DatasetId, State = CrawlState.Completed, CreatedAt = DateTimeOffset.UtcNow };
            db.Crawls.Add(crawl);
            await db.SaveChangesAsync();
            crawlId = crawl.Id;
            db.CrawlUrls.Add(new CrawlUrl { CrawlId = crawl.Id, Url = "http://127.0.0.1/a.jpg", Host = "127.0.0.1", Kind = CrawlUrlKind.Image });
            db.ImageProvenance.Add(new ImageProvenance { ImageId = data.ImageIds[5], CrawlId = crawl.Id, PageUrl = "http://127.0.0.1/", ImageUrl = "http://127.0.0.1/a.jpg", SourceHost = "127.0.0.1", RobotsDecision = "allowed" });
        });
        // The search index is loaded, so a deleted dataset's vectors must leave memory too.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.GetAsync($"/Datasets/Browse/{data.DatasetId}?sort=Uniqueness")).StatusCode);
        var name = await fixture.ReadDbAsync(db => db.Datasets.Where(d => d.Id == data.DatasetId).Select(d => d.Name).FirstAsync());

        var confirm = await fixture.Admin.GetStringAsync($"/Admin/Datasets/Delete/{data.DatasetId}");

        Assert.Contains("<strong>60</strong> image(s) and <strong>59</strong> stored file(s) (1 file(s) stay", confirm, StringComparison.Ordinal);
        Assert.Contains("<strong>3</strong> label event(s), <strong>2</strong> vote(s), <strong>1</strong> final label(s) and <strong>1</strong> review flag(s)", confirm, StringComparison.Ordinal);
        Assert.Contains("<strong>60</strong> embedding(s) and <strong>1</strong> embedding map(s)", confirm, StringComparison.Ordinal);
        Assert.Contains("<strong>3</strong> class(es), <strong>1</strong> crawl(s) with their URLs, <strong>1</strong> evaluation split(s)", confirm, StringComparison.Ordinal);
        Assert.Contains("<strong>1</strong> finished evaluation run(s) that used this dataset are <em>kept</em>", confirm, StringComparison.Ordinal);
        Assert.Contains("1 unfinished run(s) have no report and are removed", confirm, StringComparison.Ordinal);

        var wrong = await fixture.Admin.PostFormAsync($"/Admin/Datasets/Delete/{data.DatasetId}", new() { ["Confirm"] = name + "x" });
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Contains("nothing was deleted", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(60, await fixture.ReadDbAsync(db => db.Images.CountAsync(i => i.DatasetId == data.DatasetId)));

        var done = await fixture.Admin.PostFormAsync($"/Admin/Datasets/Delete/{data.DatasetId}", new() { ["Confirm"] = name });
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Contains($"Dataset {name} deleted: 60 image(s), 59 stored file(s)", await fixture.Admin.GetStringAsync(done.Headers.Location!.OriginalString), StringComparison.Ordinal);

        var left = await fixture.ReadDbAsync(async db => new[]
        {
            await db.Datasets.CountAsync(d => d.Id == data.DatasetId), await db.Images.CountAsync(i => i.DatasetId == data.DatasetId),
            await db.Embeddings.CountAsync(e => data.ImageIds.Contains(e.ImageId)), await db.LabelEvents.CountAsync(e => e.DatasetId == data.DatasetId),
            await db.LabelVotes.CountAsync(v => v.DatasetId == data.DatasetId), await db.FinalLabels.CountAsync(f => f.DatasetId == data.DatasetId),
            await db.ReviewFlags.CountAsync(f => f.DatasetId == data.DatasetId), await db.EmbeddingMaps.CountAsync(m => m.DatasetId == data.DatasetId),
            await db.Crawls.CountAsync(c => c.Id == crawlId), await db.CrawlUrls.CountAsync(u => u.CrawlId == crawlId),
            await db.ImageProvenance.CountAsync(p => p.CrawlId == crawlId), await db.ImageClasses.CountAsync(c => c.DatasetId == data.DatasetId),
            await db.EvaluationSplits.CountAsync(s => s.DatasetId == data.DatasetId), await db.SplitImages.CountAsync(s => s.SplitId == splitId),
            await db.LabelSubmissions.CountAsync(s => s.DatasetId == data.DatasetId), await db.EvaluationRuns.CountAsync(r => r.Id == unfinished.Id),
        });
        Assert.All(left, n => Assert.Equal(0, n));
        Assert.Equal(1, await fixture.ReadDbAsync(db => db.EvaluationRuns.CountAsync(r => r.Id == kept)));
        Assert.Equal(JobState.Cancelled, await fixture.ReadDbAsync(db => db.JobRuns.Where(j => j.Id == queued.Id).Select(j => j.State).FirstAsync()));
        Assert.Equal(60, await fixture.ReadDbAsync(db => db.Images.CountAsync(i => i.DatasetId == other.DatasetId)));
        foreach (var p in paths)
        {
            Assert.Equal(p.Sha256 == shared, await Store.HasOriginalAsync(p.Sha256, p.Format, default));
            Assert.Equal(p.Sha256 == shared, await Store.HasThumbnailAsync(p.Sha256, default));
        }

        // The report is a record: it opens, names the dataset and says it was deleted.
        var report = await fixture.Admin.GetAsync($"/Evaluation/Report/{kept}");
        var html = await report.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Contains("id=\"deleted-note\"", html, StringComparison.Ordinal);
        Assert.Contains($"the dataset it used (<strong>{name}</strong>, #{data.DatasetId}) was deleted", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.GetAsync("/Evaluation")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/Admin/Datasets/Delete/{data.DatasetId}")).StatusCode);
    }

    [Fact]
    public async Task A_dataset_with_a_running_job_or_crawl_is_not_deleted()
    {
        var data = await fixture.SeedAsync();
        var name = await fixture.ReadDbAsync(db => db.Datasets.Where(d => d.Id == data.DatasetId).Select(d => d.Name).FirstAsync());
        var job = new JobRun { Kind = JobKinds.Embed, State = JobState.Running, DatasetId = data.DatasetId, CreatedAt = DateTimeOffset.UtcNow };
        await fixture.WithDbAsync(db => { db.JobRuns.Add(job); return Task.CompletedTask; });

        var page = await fixture.Admin.GetStringAsync($"/Admin/Datasets/Delete/{data.DatasetId}");
        Assert.Contains("id=\"delete-refused\"", page, StringComparison.Ordinal);
        Assert.Contains($"Job run {job.Id} (embed) of this dataset is running", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"delete-dataset\"", page, StringComparison.Ordinal);
        var refused = await fixture.Admin.PostFormAsync($"/Admin/Datasets/Delete/{data.DatasetId}", new() { ["Confirm"] = name }, tokenPage: "/Account/Logout");
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Equal(60, await fixture.ReadDbAsync(db => db.Images.CountAsync(i => i.DatasetId == data.DatasetId)));

        await fixture.WithDbAsync(async db =>
        {
            (await db.JobRuns.FirstAsync(j => j.Id == job.Id)).State = JobState.Succeeded;
            db.Crawls.Add(new Crawl { DatasetId = data.DatasetId, State = CrawlState.Running, CreatedAt = DateTimeOffset.UtcNow });
        });
        Assert.Contains("of this dataset is running: cancel it first", await fixture.Admin.GetStringAsync($"/Admin/Datasets/Delete/{data.DatasetId}"), StringComparison.Ordinal);
        await fixture.Admin.PostFormAsync($"/Admin/Datasets/Delete/{data.DatasetId}", new() { ["Confirm"] = name }, tokenPage: "/Account/Logout");
        Assert.Equal(1, await fixture.ReadDbAsync(db => db.Datasets.CountAsync(d => d.Id == data.DatasetId)));
    }

    [Fact]
    public async Task A_running_crawl_is_refused_and_a_stopped_one_goes_with_its_images()
    {
        var data = await fixture.SeedAsync();
        var mine = data.ImageIds.Take(2).ToList();
        await WriteFilesAsync(mine);
        var crawl = new Crawl { DatasetId = data.DatasetId, State = CrawlState.Running, CreatedAt = DateTimeOffset.UtcNow };
        await fixture.WithDbAsync(async db =>
        {
            db.Crawls.Add(crawl);
            await db.SaveChangesAsync();
            db.CrawlUrls.AddRange(mine.Select(id => new CrawlUrl { CrawlId = crawl.Id, Url = $"http://127.0.0.1/{id}.jpg", Host = "127.0.0.1", Kind = CrawlUrlKind.Image }));
            db.ImageProvenance.AddRange(mine.Select(id => new ImageProvenance { ImageId = id, CrawlId = crawl.Id, PageUrl = "http://127.0.0.1/", ImageUrl = $"http://127.0.0.1/{id}.jpg", SourceHost = "127.0.0.1", RobotsDecision = "allowed" }));
        });
        await fixture.VoteAsync(data.DatasetId, "u1", mine[0], data.ClassIds[0]);

        var page = await fixture.Admin.GetStringAsync($"/Admin/Crawls/Delete/{crawl.Id}");
        Assert.Contains($"Crawl {crawl.Id} is running: cancel it first", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"delete-crawl\"", page, StringComparison.Ordinal);
        await fixture.Admin.PostFormAsync($"/Admin/Crawls/Delete/{crawl.Id}", new() { ["Confirm"] = "true" }, tokenPage: "/Account/Logout");
        Assert.Equal(1, await fixture.ReadDbAsync(db => db.Crawls.CountAsync(c => c.Id == crawl.Id)));

        await fixture.WithDbAsync(async db => (await db.Crawls.FirstAsync(c => c.Id == crawl.Id)).State = CrawlState.Paused);
        page = await fixture.Admin.GetStringAsync($"/Admin/Crawls/Delete/{crawl.Id}");
        Assert.Contains("the <strong>2</strong> image(s) it stored and <strong>2</strong> stored file(s)", page, StringComparison.Ordinal);
        Assert.Contains("<strong>1</strong> label event(s) on those images and their <strong>2</strong> embedding(s)", page, StringComparison.Ordinal);
        // Without the box ticked: the page again, nothing deleted.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.PostFormAsync($"/Admin/Crawls/Delete/{crawl.Id}", [])).StatusCode);
        Assert.Equal(1, await fixture.ReadDbAsync(db => db.Crawls.CountAsync(c => c.Id == crawl.Id)));

        var done = await fixture.Admin.PostFormAsync($"/Admin/Crawls/Delete/{crawl.Id}", new() { ["Confirm"] = "true" });

        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.Crawls.CountAsync(c => c.Id == crawl.Id)));
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.CrawlUrls.CountAsync(u => u.CrawlId == crawl.Id)));
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.Images.CountAsync(i => mine.Contains(i.Id))));
        Assert.Equal(58, await fixture.ReadDbAsync(db => db.Images.CountAsync(i => i.DatasetId == data.DatasetId)));
    }

    [Fact]
    public async Task Deleting_a_model_removes_its_vectors_and_file_and_keeps_its_reports_marked()
    {
        var data = await fixture.SeedAsync();
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(data.ModelId)));
        await fixture.WithDbAsync(async db =>
        {
            (await db.EmbeddingModels.FirstAsync(m => m.Id == data.ModelId)).Sha256 = sha;
            db.LabellingSettings.Add(new LabellingSettings { DatasetId = data.DatasetId, ModelId = data.ModelId });
            db.EmbeddingMaps.Add(new EmbeddingMap { DatasetId = data.DatasetId, ModelId = data.ModelId, PointCount = 0, Points = [], ComputedAt = DateTimeOffset.UtcNow });
        });
        var file = OnnxEmbedder.ModelPath(fixture.Factory.Services.GetRequiredService<IOptions<StorageOptions>>().Value, sha);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllBytesAsync(file, [0]);
        var run = await FinishedRunAsync(data, data.ModelId);
        var label = await fixture.ReadDbAsync(db => db.EvaluationRuns.Where(r => r.Id == run).Select(r => r.Label).FirstAsync());

        var page = await fixture.Admin.GetStringAsync($"/Admin/Models/Delete/{data.ModelId}");
        Assert.Contains("<strong>60</strong> embedding(s) and <strong>1</strong> embedding map(s)", page, StringComparison.Ordinal);
        Assert.Contains("<strong>1</strong> dataset(s) use it for labelling hints", page, StringComparison.Ordinal);
        Assert.Contains("<strong>1</strong> finished evaluation run(s) with this model are <em>kept</em>", page, StringComparison.Ordinal);
        Assert.Contains("<strong>1</strong> ONNX file(s)", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Admin.PostFormAsync($"/Admin/Models/Delete/{data.ModelId}", [])).StatusCode);
        Assert.Equal(1, await fixture.ReadDbAsync(db => db.EmbeddingModels.CountAsync(m => m.Id == data.ModelId)));

        var done = await fixture.Admin.PostFormAsync($"/Admin/Models/Delete/{data.ModelId}", new() { ["Confirm"] = "true" });

        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.EmbeddingModels.CountAsync(m => m.Id == data.ModelId)));
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.Embeddings.CountAsync(e => e.ModelId == data.ModelId)));
        Assert.Equal(0, await fixture.ReadDbAsync(db => db.EmbeddingMaps.CountAsync(m => m.ModelId == data.ModelId)));
        Assert.Null(await fixture.ReadDbAsync(db => db.LabellingSettings.Where(s => s.DatasetId == data.DatasetId).Select(s => s.ModelId).FirstAsync()));
        Assert.False(File.Exists(file));
        var report = await fixture.Admin.GetStringAsync($"/Evaluation/Report/{run}");
        Assert.Contains($"the model it used (<strong>{label}</strong>) was deleted", report, StringComparison.Ordinal);
        Assert.DoesNotContain("the dataset it used", report, StringComparison.Ordinal);
    }
}
