using System.Diagnostics;
using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Jobs;

/// <summary>Worker processes killed and resumed run alone: on a 2-core CPU without VNNI a parallel test class starved the resumed embedding past its deadline (it passed alone).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WorkerProcessCollection
{
    public const string Name = "Worker processes";
}

/// <summary>
/// The standalone worker process runs jobs queued by another process through the shared SQLite files, and a worker
/// killed with SIGKILL mid-import loses nothing: the next worker resumes the same run and ends with one row per image.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public class WorkerProcessTests : IDisposable
{
    private const string ClassName = "airplanes"; // 800 images: long enough to kill the worker half-way
    private readonly string _data = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));
    private readonly TestDatabase? _database = TestDatabase.CreateIfPostgres();
    private readonly List<Process> _workers = [];

    private Dictionary<string, string?> Settings => TestDatabase.Apply(_database, new()
    {
        ["Storage:DataDirectory"] = _data,
        ["Identity:Admin:Password"] = "Admin-Passw0rd!",
        ["Hangfire:QueuePollInterval"] = "00:00:00.250",
        // A job fetched by a worker that died becomes visible again after this long.
        ["Hangfire:InvisibilityTimeout"] = "00:00:03",
        ["Import:BatchSize"] = "10",
        ["Import:Parallelism"] = "1",
        ["Embeddings:CommitEvery"] = "16",
        ["Embeddings:SessionsPerModel"] = "1",
        ["Embeddings:EmbedAfterImport"] = "false",
        ["Embeddings:MobileNetV2Path"] = SharedPaths.MobileNetV2,
        ["Embeddings:Int8DotProductsExact"] = "true",
        ["Jobs:LeaseDuration"] = "00:00:03",
        ["Jobs:ChunkSize"] = "16",
        ["Jobs:ChunkPollInterval"] = "00:00:00.250",
        // The crawl test's site runs on 127.0.0.1 in this process; nothing else is allowed.
        ["Outbound:AllowedNetworks:0"] = "127.0.0.1/32",
        ["Crawler:PerHostDelay"] = "00:00:00.100",
        ["Crawler:Concurrency"] = "2",
        // Generous, and no retries: a worker stalled under load must not make a page look requested twice.
        ["Crawler:FetchTimeout"] = "00:00:30",
        ["Crawler:MaxRetries"] = "0",
        ["Jobs:BackgroundNice"] = "0",
    });

    [Fact]
    public async Task Killed_worker_mid_import_is_resumed_by_another_worker_without_loss_or_duplicates()
    {
        using var folder = new ImportFolder().AddCaltech(ClassName, 800);
        await using var client = BuildClientServices();
        await DatabaseInitializer.InitializeAsync(client);
        var dataset = await client.GetRequiredService<DatasetService>().GetOrCreateAsync("worker-test", null, "test");
        var runs = client.GetRequiredService<JobRunService>();
        var run = await runs.CreateAndEnqueueAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder.Root }, "test");

        var first = StartWorker();
        var progressed = await Polling.WaitUntilAsync(async () => (await runs.FindAsync(run.Id))!.Processed >= 50, TimeSpan.FromSeconds(60));
        Assert.True(progressed, "the first worker never made progress");
        first.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
        await first.WaitForExitAsync();
        var atKill = (await runs.FindAsync(run.Id))!;
        Assert.Equal(JobState.Running, atKill.State);
        Assert.True(atKill.Processed < 800, "the import finished before the worker was killed; the test proved nothing");

        StartWorker();
        var finished = await Polling.WaitUntilAsync(async () => (await runs.FindAsync(run.Id))!.IsFinished, TimeSpan.FromSeconds(300));
        Assert.True(finished, "the second worker did not finish the run");

        var done = (await runs.FindAsync(run.Id))!;
        Assert.True(done.State == JobState.Succeeded, $"{done.State}: {done.Error}");
        Assert.Equal((800, 0, 0), (done.Succeeded, done.Duplicates, done.Failed));
        await using var db = await client.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(800, await db.Images.CountAsync(i => i.DatasetId == dataset.Id));
        Assert.Equal(800, await db.Images.Where(i => i.DatasetId == dataset.Id).Select(i => i.Origin).Distinct().CountAsync());
    }

    [Fact]
    public async Task Killed_worker_mid_embedding_is_resumed_and_ends_with_exactly_one_vector_per_image()
    {
        const int Images = 400;
        using var folder = new ImportFolder().AddCaltech(ClassName, Images);
        await using var client = BuildClientServices();
        await DatabaseInitializer.InitializeAsync(client);
        var dataset = await client.GetRequiredService<DatasetService>().GetOrCreateAsync("embed-kill", null, "test");
        var runs = client.GetRequiredService<JobRunService>();
        var import = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder.Root }, "test");
        await client.GetRequiredService<ImportDatasetJob>().ImportAsync(import.Id, CancellationToken.None);
        var model = (await client.GetRequiredService<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        var run = await runs.CreateAndEnqueueAsync(JobKinds.Embed, dataset.Id, new EmbedParameters(model.Id), "test");

        var first = StartWorker();
        Assert.True(await Polling.WaitUntilAsync(async () => (await runs.FindAsync(run.Id))!.Processed >= 64, TimeSpan.FromSeconds(90)), "the first worker never made progress");
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        var atKill = (await runs.FindAsync(run.Id))!;
        Assert.True(atKill.Processed < Images, "the embedding finished before the worker was killed; the test proved nothing");

        StartWorker();
        // Generous: 400 images on 2 cores take about 10 s without VNNI, several when other work shares the machine; the wait ends as soon as the run does.
        Assert.True(await Polling.WaitUntilAsync(async () => (await runs.FindAsync(run.Id))!.IsFinished, TimeSpan.FromSeconds(300)), "the second worker did not finish the run");

        var done = (await runs.FindAsync(run.Id))!;
        Assert.True(done.State == JobState.Succeeded, $"{done.State}: {done.Error}");
        Assert.Equal((Images, 0, 0), (done.Succeeded, done.Duplicates, done.Failed));
        await using var db = await client.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(Images, await db.Embeddings.CountAsync(e => e.ModelId == model.Id));
        Assert.Equal(Images, await db.Embeddings.Where(e => e.ModelId == model.Id).Select(e => e.ImageId).Distinct().CountAsync());
    }

    [Fact]
    public async Task Two_workers_embed_one_run_together_and_one_killed_half_way_leaves_exactly_one_vector_per_image()
    {
        const int Images = 300;
        using var folder = new ImportFolder();
        for (var i = 0; i < Images; i++)
        {
            // Distinct sizes: every file is a different image (the import would fold identical bytes into one).
            folder.Add($"generated/{i:D3}.jpg", TestImages.Jpeg(40 + i % 30, 30 + i / 30, (byte)(i * 7)));
        }

        await using var client = BuildClientServices();
        await DatabaseInitializer.InitializeAsync(client);
        var dataset = await client.GetRequiredService<DatasetService>().GetOrCreateAsync("embed-two", null, "test");
        var runs = client.GetRequiredService<JobRunService>();
        var import = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder.Root }, "test");
        await client.GetRequiredService<ImportDatasetJob>().ImportAsync(import.Id, CancellationToken.None);
        var model = (await client.GetRequiredService<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        var chunks = client.GetRequiredService<JobChunkService>();

        var first = StartWorker();
        var second = StartWorker();
        var firstName = $"{Environment.MachineName}:{first.Id}";
        var secondName = $"{Environment.MachineName}:{second.Id}";
        var run = await runs.CreateAndEnqueueAsync(JobKinds.Embed, dataset.Id, new EmbedParameters(model.Id), "test");

        // Half-way, with both workers having done a share and the first one holding a chunk it has not finished.
        JobChunk? held = null;
        Assert.True(await Polling.WaitUntilAsync(async () =>
        {
            var rows = await chunks.ListAsync(run.Id);
            held = rows.FirstOrDefault(c => c.State == JobChunkState.Running && c.Worker == firstName);
            return held is not null && (await runs.FindAsync(run.Id))!.Processed >= Images / 2
                && rows.Any(c => c.State == JobChunkState.Done && c.Worker == firstName) && rows.Any(c => c.State == JobChunkState.Done && c.Worker == secondName);
        }, TimeSpan.FromSeconds(300)), $"the two workers never both took part while the first held a chunk: {await DescribeChunksAsync(chunks, run.Id)}");
        first.Kill(entireProcessTree: true); // SIGKILL mid-chunk
        await first.WaitForExitAsync();
        Assert.True((await runs.FindAsync(run.Id))!.Processed < Images, "the embedding finished before the worker was killed; the test proved nothing");
        // Read after the kill: the chunk seen held above may have been finished in between; what the dead worker holds now is what must be resumed.
        var heldAtKill = (await chunks.ListAsync(run.Id)).Where(c => c.State == JobChunkState.Running && c.Worker == firstName).Select(c => c.Id).ToList();
        Assert.True(heldAtKill.Count > 0, $"the first worker held no chunk when it was killed: {await DescribeChunksAsync(chunks, run.Id)}");

        // Generous: the wait ends as soon as the run does.
        Assert.True(await Polling.WaitUntilAsync(async () => (await runs.FindAsync(run.Id))!.IsFinished, TimeSpan.FromSeconds(300)), "the surviving worker did not finish the run");

        var done = (await runs.FindAsync(run.Id))!;
        Assert.True(done.State == JobState.Succeeded, $"{done.State}: {done.Error}");
        Assert.Equal((Images, Images, 0, 0), (done.Processed, done.Succeeded, done.Duplicates, done.Failed));
        var rows = await chunks.ListAsync(run.Id);
        Assert.All(rows, c => Assert.Equal(JobChunkState.Done, c.State));
        Assert.Equal(Images, rows.Sum(c => c.Succeeded));
        Assert.All(rows.Where(c => heldAtKill.Contains(c.Id)), resumed => Assert.Equal((secondName, 2), (resumed.Worker, resumed.Attempts)));
        Assert.Contains(rows, c => c.Worker == firstName);
        await using var db = await client.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var vectors = db.Embeddings.Where(e => e.ModelId == model.Id && db.Images.Any(i => i.Id == e.ImageId && i.DatasetId == dataset.Id));
        Assert.Equal(Images, await vectors.CountAsync());
        Assert.Equal(Images, await vectors.Select(e => e.ImageId).Distinct().CountAsync());
    }

    [Fact]
    public async Task Killed_worker_mid_crawl_is_resumed_and_no_url_is_requested_twice()
    {
        // A hub page links to 12 pages, each with one image: losing one page to the kill loses nothing else. Pages
        // answer slowly, so a request is almost always in flight (already seen by the site) when the worker dies.
        const int pages = 12;
        await using var site = await Crawling.RecordingSite.StartAsync(app =>
        {
            app.MapGet("/robots.txt", () => Results.NotFound());
            app.MapGet("/hub", context => Crawling.RecordingSite.Html(context, string.Concat(Enumerable.Range(0, pages).Select(n => $"<a href='/p/{n}'>{n}</a>"))));
            app.MapGet("/p/{n:int}", async (HttpContext context, int n) =>
            {
                await Task.Delay(700, context.RequestAborted);
                await Crawling.RecordingSite.Html(context, $"<img src='/i/{n}.jpg'>");
            });
            app.MapGet("/i/{n:int}.jpg", (HttpContext context, int n) => Crawling.RecordingSite.Bytes(context, "image/jpeg", Crawling.Pictures.Jpeg(300 + n)));
        });
        await using var client = BuildClientServices();
        await DatabaseInitializer.InitializeAsync(client);
        var dataset = await client.GetRequiredService<DatasetService>().GetOrCreateAsync("crawl-kill", null, "test");
        var crawls = client.GetRequiredService<CrawlService>();
        var (crawl, run) = await crawls.CreateAsync(dataset.Id, crawls.BuildSettings([site.BaseUrl + "/hub"], 2, pages + 1, pages, null), "test", enqueue: true);
        var runs = client.GetRequiredService<JobRunService>();

        var first = StartWorker();
        Assert.True(await Polling.WaitUntilAsync(async () => (await crawls.CountAsync(crawl.Id)).Pages >= 3, TimeSpan.FromSeconds(120)), "the first worker never made progress");
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        Assert.True((await crawls.CountAsync(crawl.Id)).Pages < pages, "the crawl finished before the worker was killed; the test proved nothing");

        StartWorker();
        // Generous: the wait ends as soon as the run does.
        Assert.True(await Polling.WaitUntilAsync(async () => (await runs.FindAsync(run.Id))!.IsFinished, TimeSpan.FromSeconds(300)), "the second worker did not finish the crawl");

        var done = (await runs.FindAsync(run.Id))!;
        Assert.True(done.State == JobState.Succeeded, $"{done.State}: {done.Error}");
        await using var db = await client.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var outcomes = await db.CrawlUrls.Where(u => u.CrawlId == crawl.Id).Select(u => new { u.Url, u.Status, u.Reason }).ToListAsync();
        // robots.txt is cached per process (RFC 9309 allows fetching it again); pages and images are the frontier's.
        foreach (var path in site.Requests.Distinct().Where(p => p != "/robots.txt"))
        {
            Assert.True(site.Count(path) == 1, $"{path} was requested {site.Count(path)} times; requests: {string.Join(" ", site.Requests)}; outcome: {string.Join("; ", outcomes.Where(o => o.Url.EndsWith(path, StringComparison.Ordinal)).Select(o => $"{o.Status} {o.Reason}"))}");
        }

        // Every page and image ends fetched, or (at most the two in flight at the kill) recorded as interrupted.
        var interrupted = outcomes.Count(o => o.Status == Core.Crawling.CrawlUrlStatus.Failed && o.Reason!.StartsWith("interrupted", StringComparison.Ordinal));
        Assert.InRange(interrupted, 0, 2);
        Assert.DoesNotContain(outcomes, o => o.Status is Core.Crawling.CrawlUrlStatus.Queued or Core.Crawling.CrawlUrlStatus.Fetching);
        var counts = await crawls.CountAsync(crawl.Id);
        Assert.Equal(pages + 1, counts.Pages + outcomes.Count(o => o.Url.Contains("/p/", StringComparison.Ordinal) && o.Status == Core.Crawling.CrawlUrlStatus.Failed) + (outcomes.Any(o => o.Url.EndsWith("/hub", StringComparison.Ordinal) && o.Status == Core.Crawling.CrawlUrlStatus.Failed) ? 1 : 0));
        Assert.Equal(counts.Accepted + outcomes.Count(o => o.Url.Contains("/i/", StringComparison.Ordinal) && o.Status == Core.Crawling.CrawlUrlStatus.Failed), outcomes.Count(o => o.Url.Contains("/i/", StringComparison.Ordinal)));
        Assert.Equal(counts.Accepted, await db.Images.CountAsync(i => i.DatasetId == dataset.Id));
    }

    private static async Task<string> DescribeChunksAsync(JobChunkService chunks, long jobRunId) =>
        string.Join("; ", (await chunks.ListAsync(jobRunId)).Select(c => $"{c.Index}:{c.State}@{c.Worker}x{c.Attempts}"));

    private ServiceProvider BuildClientServices()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPlatformCore(configuration, _data);
        services.AddPlatformJobs(configuration, runServer: false);
        return services.BuildServiceProvider();
    }

    private Process StartWorker()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "LabelPlatform.Worker.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in Settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        // Drain the pipes so a chatty worker never blocks on a full buffer.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _workers.Add(process);
        return process;
    }


    public void Dispose()
    {
        foreach (var worker in _workers.Where(w => !w.HasExited))
        {
            worker.Kill(entireProcessTree: true);
            worker.WaitForExit(5000);
        }

        _database?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
