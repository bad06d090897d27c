using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Hardware;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Search;
using LabelPlatform.Jobs;
using LabelPlatform.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tools;

/// <summary>
/// `bench serve`: `POST /api/search` under closed-loop load on a real Kestrel (loopback) over a folder-per-class
/// tree imported and embedded with MobileNetV2 — by upload (each batching setting) and by image id, at each client
/// count, without and with an embedding job running — then the index part of a query alone, in process, over a
/// synthetic index (exact and HNSW) too large to load through the store here.
/// </summary>
internal static class BenchServe
{
    private const string Password = "Bench-Serve-Passw0rd!";

    private sealed record Settings(string Folder, int PerClass, TimeSpan Duration, int[] Clients, string[] Batching, bool EmbedJob, int Vectors, int AnnVectors);

    public static Command Create()
    {
        var path = new Option<DirectoryInfo>("--path") { Description = "Folder-per-class tree (e.g. Caltech 101)", Required = true };
        var perClass = new Option<int>("--per-class") { Description = "Images imported per class; 0 = all", DefaultValueFactory = _ => 0 };
        var seconds = new Option<double>("--seconds") { Description = "Length of each case", DefaultValueFactory = _ => 8 };
        var clients = new Option<string>("--clients") { DefaultValueFactory = _ => "1,8,32" };
        var batching = new Option<string>("--batching") { Description = "Upload cases: 'off', or a batcher MaxWait in ms (0: only what is queued)", DefaultValueFactory = _ => "off,0,2" };
        var noEmbed = new Option<bool>("--no-embed-job") { Description = "Skip the cases with an embedding job running" };
        var vectors = new Option<int>("--vectors") { Description = "Synthetic exact index size; 0 = none", DefaultValueFactory = _ => 1_000_000 };
        var annVectors = new Option<int>("--ann-vectors") { Description = "Synthetic HNSW index size; 0 = none", DefaultValueFactory = _ => 100_000 };
        var command = new Command("serve", "POST /api/search latency and throughput under concurrent clients") { path, perClass, seconds, clients, batching, noEmbed, vectors, annVectors };
        command.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(path)!;
            if (!folder.Exists)
            {
                await Console.Error.WriteLineAsync($"error: folder '{folder.FullName}' does not exist");
                return 2;
            }

            var settings = new Settings(folder.FullName, parse.GetValue(perClass), TimeSpan.FromSeconds(parse.GetValue(seconds)),
                [.. parse.GetValue(clients)!.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))],
                parse.GetValue(batching)!.Split(','), !parse.GetValue(noEmbed), parse.GetValue(vectors), parse.GetValue(annVectors));
            var invalid = settings.Batching.FirstOrDefault(b => b != "off" && !double.TryParse(b, CultureInfo.InvariantCulture, out _));
            if (invalid is not null || settings.Clients.Any(c => c < 1))
            {
                await Console.Error.WriteLineAsync($"error: --batching takes 'off' or milliseconds, --clients positive counts");
                return 2;
            }

            Console.WriteLine($"bench serve: {Environment.ProcessorCount} cores; {CpuInfo.Current.Describe()}");
            var data = Path.Combine(Path.GetTempPath(), "labelplatform-bench", Guid.NewGuid().ToString("N"));
            try
            {
                await ServeCasesAsync(settings, data, ct);
            }
            finally
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                try
                {
                    Directory.Delete(data, recursive: true);
                }
                catch (IOException)
                {
                }
            }

            await SyntheticCasesAsync(settings);
            return 0;
        });
        return command;
    }

    private static async Task ServeCasesAsync(Settings settings, string data, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = ContentRoot.Locate(), Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = data,
            ["Hangfire:RunServer"] = "false",
            ["Embeddings:EmbedAfterImport"] = "false",
            ["Identity:Admin:Password"] = "Bench-Admin-Passw0rd!",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddPlatform();
        await using var app = builder.Build();
        await app.InitializePlatformAsync();
        app.UsePlatform();
        await app.StartAsync(ct);
        var services = app.Services;
        var baseAddress = new Uri(services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        var clock = Stopwatch.StartNew();
        var dataset = await services.GetRequiredService<DatasetService>().GetOrCreateAsync("bench", null, "bench", ct);
        var source = settings.PerClass > 0 ? Sample(settings.Folder, Path.Combine(data, "sample"), settings.PerClass) : settings.Folder;
        var runs = services.GetRequiredService<JobRunService>();
        var import = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = source }, "bench", ct);
        await services.GetRequiredService<ImportDatasetJob>().ImportAsync(import.Id, ct);
        var imported = clock.Elapsed.TotalSeconds;
        var registry = services.GetRequiredService<ModelRegistry>();
        var model = await registry.FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2, ct) ?? throw new InvalidOperationException("MobileNetV2 is not available");
        var embed = await runs.CreateAsync(JobKinds.Embed, dataset.Id, new EmbedParameters(model.Id), "bench", ct);
        await services.GetRequiredService<EmbedDatasetJob>().RunAsync(embed.Id, ct);
        List<long> ids;
        await using (var db = await services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync(ct))
        {
            ids = await db.Embeddings.Where(e => e.ModelId == model.Id).Select(e => e.ImageId).ToListAsync(ct);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{ids.Count} images indexed ({model.Label}; import {imported:0} s, embed {clock.Elapsed.TotalSeconds - imported:0} s); {settings.Duration.TotalSeconds:0} s per case, at {baseAddress}"));

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(services, ct));
        // Query images: a spread of the folder's files, read once, so clients send real uploads without disk reads.
        var uploads = Directory.GetDirectories(settings.Folder).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal).Take(1)).Take(64).Select(File.ReadAllBytes).ToArray();
        var batching = services.GetRequiredService<IOptions<QueryBatchingOptions>>().Value;
        var batcher = services.GetRequiredService<QueryBatcher>();

        async Task<string?> Upload(int client, int i)
        {
            using var form = new MultipartFormDataContent
            {
                { new StringContent("bench"), "dataset" },
                { new ByteArrayContent(uploads[(client * 7 + i) % uploads.Length]) { Headers = { ContentType = new MediaTypeHeaderValue("image/jpeg") } }, "image", "query.jpg" },
            };
            using var response = await http.PostAsync(new Uri("/api/search", UriKind.Relative), form, CancellationToken.None);
            return response.StatusCode == HttpStatusCode.OK ? null : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}";
        }

        async Task<string?> ById(int client, int i)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["dataset"] = "bench",
                ["imageId"] = ids[(int)((client * 7919L + i * 104729L) % ids.Count)].ToString(CultureInfo.InvariantCulture),
            });
            using var response = await http.PostAsync(new Uri("/api/search", UriKind.Relative), form, CancellationToken.None);
            return response.StatusCode == HttpStatusCode.OK ? null : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}";
        }

        // Warm-up: sessions loaded, index loaded, connections open.
        await ServeLoad.RunAsync("warm-up", 8, TimeSpan.FromSeconds(2), Upload);
        foreach (var withJob in settings.EmbedJob ? new[] { false, true } : [false])
        {
            using var stopJob = new CancellationTokenSource();
            var job = withJob ? EmbedJobAsync(services, dataset.Id, model, stopJob.Token) : Task.CompletedTask;
            var suffix = withJob ? ", embed job running" : "";
            if (withJob)
            {
                await Task.Delay(TimeSpan.FromSeconds(3), ct);
            }

            foreach (var clients in settings.Clients)
            {
                foreach (var mode in settings.Batching)
                {
                    batching.Enabled = mode != "off";
                    batching.MaxWait = batching.Enabled ? TimeSpan.FromMilliseconds(double.Parse(mode, CultureInfo.InvariantCulture)) : TimeSpan.Zero;
                    var before = batcher.Counts;
                    var result = await ServeLoad.RunAsync($"upload, batching {(batching.Enabled ? $"wait {mode} ms" : "off")}{suffix}", clients, settings.Duration, Upload);
                    var after = batcher.Counts;
                    var mean = after.Calls > before.Calls ? ((double)(after.Queries - before.Queries) / (after.Calls - before.Calls)).ToString("0.0", CultureInfo.InvariantCulture) : "-";
                    Console.WriteLine($"{result.Line()} | mean batch {mean}");
                }

                Console.WriteLine((await ServeLoad.RunAsync($"more like this (image id){suffix}", clients, settings.Duration, ById)).Line());
            }

            await stopJob.CancelAsync();
            await job;
        }

        await app.StopAsync(CancellationToken.None);
    }

    /// <summary>Embeds the dataset with the float variant of the model, over and over, until stopped: a job writing vectors throughout.</summary>
    private static Task EmbedJobAsync(IServiceProvider services, int datasetId, EmbeddingModel model, CancellationToken stop) => Task.Run(async () =>
    {
        var other = await services.GetRequiredService<FloatVariants>().FindAsync(model.Id, CancellationToken.None)
            ?? throw new InvalidOperationException("no float variant to embed with");
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        var runs = services.GetRequiredService<JobRunService>();
        var rounds = 0;
        while (!stop.IsCancellationRequested)
        {
            await using (var db = await contexts.CreateDbContextAsync(CancellationToken.None))
            {
                await db.Embeddings.Where(e => e.ModelId == other.Id).ExecuteDeleteAsync(CancellationToken.None);
            }

            var run = await runs.CreateAsync(JobKinds.Embed, datasetId, new EmbedParameters(other.Id), "bench", CancellationToken.None);
            try
            {
                await services.GetRequiredService<EmbedDatasetJob>().RunAsync(run.Id, stop);
                rounds++;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Console.WriteLine($"(embed job with {other.Label}: {rounds} full passes while the cases ran)");
    }, CancellationToken.None);

    private static async Task<string> TokenAsync(IServiceProvider services, CancellationToken ct)
    {
        using var scope = services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
        var user = new PlatformUser { UserName = "bench-serve@bench.local", Email = "bench-serve@bench.local", EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
        if (!(await users.CreateAsync(user, Password)).Succeeded || !(await users.AddToRoleAsync(user, Roles.Labeller)).Succeeded)
        {
            throw new InvalidOperationException("could not create the benchmark's user");
        }

        return (await services.GetRequiredService<ApiTokenService>().CreateAsync("bench serve", user.Id, "bench", ct)).Plain;
    }

    /// <summary>The first <paramref name="perClass"/> files (by name) of every class, copied into a folder-per-class sample.</summary>
    private static string Sample(string root, string sample, int perClass)
    {
        foreach (var classDir in Directory.GetDirectories(root))
        {
            var target = Directory.CreateDirectory(Path.Combine(sample, Path.GetFileName(classDir))).FullName;
            foreach (var file in Directory.GetFiles(classDir).Order(StringComparer.Ordinal).Take(perClass))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        return sample;
    }

    /// <summary>The index part of a query alone (what a request adds to it is measured above), over synthetic clustered vectors.</summary>
    private static async Task SyntheticCasesAsync(Settings settings)
    {
        const int dimension = 1280;
        const int chunk = 65_536;
        var synthetic = SyntheticEmbeddings.Clustered(dimension, 2026, 1000, 1f);
        var queries = Enumerable.Range(0, 256).Select(i => synthetic.Row(int.MaxValue - i)).ToArray();
        void Fill(Action<long[], int?[], float[]> add, int count)
        {
            var buffer = new float[(long)chunk * dimension];
            for (var start = 0; start < count; start += chunk)
            {
                var n = Math.Min(chunk, count - start);
                synthetic.Fill(start, buffer, n);
                var ids = Enumerable.Range(start, n).Select(i => (long)i).ToArray();
                var classes = ids.Select(i => synthetic.ClassOf(i)).ToArray();
                add(ids, classes, n == chunk ? buffer : buffer[..(n * dimension)]);
            }
        }

        if (settings.Vectors > 0)
        {
            var exact = new ExactVectorIndex(dimension) { MaxDegreeOfParallelism = Environment.ProcessorCount };
            Fill((ids, classes, vectors) => exact.AddRange(ids, classes, vectors), settings.Vectors);
            Console.WriteLine($"synthetic exact index: {exact.Count:N0} x {dimension} ({exact.MemoryBytes / 1e9:0.0} GB)");
            foreach (var clients in settings.Clients)
            {
                Console.WriteLine((await ServeLoad.RunAsync($"index only, exact {exact.Count / 1000:N0}k", clients, settings.Duration,
                    (c, i) => Task.Run(() => exact.Search(queries[(c * 31 + i) % queries.Length], 10).Count == 10 ? null : "short result"))).Line());
            }
        }

        GC.Collect();
        if (settings.AnnVectors > 0)
        {
            using var ann = new AnnVectorIndex(dimension, new AnnIndexOptions { Threads = Environment.ProcessorCount });
            var clock = Stopwatch.StartNew();
            Fill((ids, classes, vectors) => ann.AddRange(ids, classes, vectors), settings.AnnVectors);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"synthetic HNSW index: {ann.Count:N0} x {dimension}, built in {clock.Elapsed.TotalSeconds:0} s (generation included)"));
            foreach (var clients in settings.Clients)
            {
                Console.WriteLine((await ServeLoad.RunAsync($"index only, HNSW {ann.Count / 1000:N0}k", clients, settings.Duration,
                    (c, i) => Task.Run(() => ann.Search(queries[(c * 31 + i) % queries.Length], 10).Count == 10 ? null : "short result"))).Line());
            }
        }
    }
}
