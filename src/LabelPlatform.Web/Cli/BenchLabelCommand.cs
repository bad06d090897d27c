using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;
using LabelPlatform.Web.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `bench label --path DIR`: many simulated labellers submit labels over HTTP to the real app (started in this
/// process on a loopback port, in a throw-away data folder) while an embedding job writes vectors into the same
/// database. Each labeller signs in, asks for its next images (leases) and submits them one by one, resending a share
/// of submissions with the same client id as a client would after a lost answer. Afterwards the store is checked
/// against what was acknowledged: every acknowledged submission stored once, no duplicates.
/// </summary>
internal static partial class BenchLabelCommand
{
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(3);

    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var path = new Option<DirectoryInfo>("--path") { Description = "Folder-per-class tree to import and label (e.g. Caltech 101)", Required = true };
        var labellers = new Option<int>("--labellers") { DefaultValueFactory = _ => 50 };
        var seconds = new Option<int>("--seconds") { DefaultValueFactory = _ => 60 };
        var retryShare = new Option<double>("--retry-share") { Description = "Share of submissions sent twice with the same client id", DefaultValueFactory = _ => 0.05 };
        var noEmbed = new Option<bool>("--no-embed") { Description = "No embedding job during the run" };
        var think = new Option<int>("--think-ms") { Description = "Mean pause of a labeller between submissions (uniform 0..2x); 0 = flat out", DefaultValueFactory = _ => 1000 };
        var json = new Option<bool>("--json");
        var command = new Command("label", "Labelling submit latency and integrity under concurrent labellers and an embedding job") { path, labellers, seconds, retryShare, noEmbed, think, json };
        command.SetAction(async (parse, ct) =>
        {
            var folder = parse.GetValue(path)!;
            if (!folder.Exists)
            {
                await stderr.WriteLineAsync($"error: folder '{folder.FullName}' does not exist");
                return 2;
            }

            var data = Path.Combine(Path.GetTempPath(), "labelplatform-bench", Guid.NewGuid().ToString("N"));
            var overrides = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
            {
                ["Storage:DataDirectory"] = data,
                ["Hangfire:RunServer"] = "false",
                ["Embeddings:EmbedAfterImport"] = "false",
                ["Identity:Admin:Password"] = "Bench-Admin-Passw0rd!",
                ["urls"] = "http://127.0.0.1:0",
            };
            try
            {
                var options = new Options(parse.GetValue(labellers), TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(retryShare), !parse.GetValue(noEmbed), parse.GetValue(think));
                var figures = await RunAsync(folder.FullName, overrides, options, stderr, ct);
                await stdout.WriteLineAsync(parse.GetValue(json)
                    ? JsonSerializer.Serialize(figures, CliJson.Options)
                    : string.Join(Environment.NewLine, figures.Select(f => $"{f.Key,-40} {f.Value}")));
                return figures["acknowledged_not_stored"] is 0 && figures["duplicate_events"] is 0 ? 0 : 1;
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
        });
        return command;
    }

    private sealed record Options(int Labellers, TimeSpan Duration, double RetryShare, bool Embed, int ThinkMs);

    private sealed class Tally
    {
        public ConcurrentBag<string> Acknowledged { get; } = [];
        public ConcurrentBag<double> Submit { get; } = [];
        public ConcurrentBag<double> SubmitWarm { get; } = [];
        public ConcurrentBag<double> Next { get; } = [];
        public ConcurrentBag<double> NextWarm { get; } = [];
        public int Retries;
        public int RetriesAnsweredStored;
        public int UnexpectedDuplicates;
        public int Errors;
        public int EmptyNext;
    }

    private static async Task<Dictionary<string, object>> RunAsync(string folder, Dictionary<string, string?> settings, Options options, TextWriter stderr, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = ContentRoot.Locate(), Args = [] });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.AddPlatform();
        await using var app = builder.Build();
        await app.InitializePlatformAsync();
        app.UsePlatform();
        await app.StartAsync(ct);
        var services = app.Services;
        var baseAddress = new Uri(services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        // The dataset: the folder imported as it is (not timed with the labelling).
        var clock = Stopwatch.StartNew();
        var dataset = await services.GetRequiredService<DatasetService>().GetOrCreateAsync("bench", null, "bench", ct);
        var runs = services.GetRequiredService<JobRunService>();
        var import = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder }, "bench", ct);
        await services.GetRequiredService<ImportDatasetJob>().ImportAsync(import.Id, ct);
        var importSeconds = clock.Elapsed.TotalSeconds;
        var contexts = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>();
        List<long> imageIds;
        List<int> classIds;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            imageIds = await db.Images.Where(i => i.DatasetId == dataset.Id).Select(i => i.Id).ToListAsync(ct);
            classIds = await db.ImageClasses.Where(c => c.DatasetId == dataset.Id).Select(c => c.Id).ToListAsync(ct);
        }

        await stderr.WriteLineAsync($"bench label: {imageIds.Count} images, {classIds.Count} classes imported in {importSeconds:0.0} s; signing in {options.Labellers} labellers at {baseAddress}");
        var clients = new List<HttpClient>();
        for (var i = 0; i < options.Labellers; i++)
        {
            clients.Add(await SignInAsync(services, baseAddress, i, dataset.Id, ct));
        }

        // The embedding job(s): MobileNetV2 then ResNet18, back to back, so vectors are written through the whole run.
        using var embedStop = new CancellationTokenSource();
        var embedModels = new List<string>();
        long embeddingsBefore;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            embeddingsBefore = await db.Embeddings.LongCountAsync(ct);
        }

        var embedding = options.Embed ? Task.Run(async () =>
        {
            foreach (var name in new[] { ModelRegistry.MobileNetV2, ModelRegistry.ResNet18 })
            {
                if (embedStop.IsCancellationRequested || await services.GetRequiredService<ModelRegistry>().FindOrRegisterBuiltInAsync(name, CancellationToken.None) is not { } model)
                {
                    continue;
                }

                lock (embedModels)
                {
                    embedModels.Add($"{model.Name} v{model.Version}");
                }

                var run = await runs.CreateAsync(JobKinds.Embed, dataset.Id, new EmbedParameters(model.Id), "bench", CancellationToken.None);
                try
                {
                    await services.GetRequiredService<EmbedDatasetJob>().RunAsync(run.Id, embedStop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None) : Task.CompletedTask;

        // Give the job a moment to load its model and start writing before the labellers go.
        await Task.Delay(options.Embed ? TimeSpan.FromSeconds(3) : TimeSpan.Zero, ct);
        var tally = new Tally();
        var started = Stopwatch.StartNew();
        var stopAt = options.Duration;
        await Task.WhenAll(clients.Select((client, n) => Task.Run(() => LabellerAsync(client, n, dataset.Id, imageIds, classIds, options, tally, started, stopAt), CancellationToken.None)));
        var elapsed = started.Elapsed.TotalSeconds;
        var embedStillRunning = !embedding.IsCompleted;
        await embedStop.CancelAsync();
        await embedding;

        // The check: what the store holds against what the labellers were told.
        List<(string ClientId, long Id)> submissions;
        List<long> eventSubmissions;
        long embeddingsAfter;
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            submissions = [.. (await db.LabelSubmissions.Where(s => s.DatasetId == dataset.Id).Select(s => new { s.ClientId, s.Id }).ToListAsync(ct)).Select(s => (s.ClientId, s.Id))];
            eventSubmissions = await db.LabelEvents.Where(e => e.DatasetId == dataset.Id && e.Source == "bench").Select(e => e.SubmissionId).ToListAsync(ct);
            embeddingsAfter = await db.Embeddings.LongCountAsync(ct);
        }

        var acknowledged = tally.Acknowledged.ToHashSet(StringComparer.Ordinal);
        var stored = submissions.Select(s => s.ClientId).ToHashSet(StringComparer.Ordinal);
        var duplicateEvents = eventSubmissions.Count - eventSubmissions.Distinct().Count();
        foreach (var client in clients)
        {
            client.Dispose();
        }

        await app.StopAsync(CancellationToken.None);
        var warm = tally.SubmitWarm.Order().ToArray();
        var all = tally.Submit.Order().ToArray();
        var next = tally.NextWarm.Order().ToArray();
        var nextAll = tally.Next.Order().ToArray();
        return new Dictionary<string, object>
        {
            ["cores"] = Environment.ProcessorCount,
            ["labellers"] = options.Labellers,
            ["think_ms_mean"] = options.ThinkMs,
            ["seconds"] = Math.Round(elapsed, 1),
            ["images"] = imageIds.Count,
            ["classes"] = classIds.Count,
            ["import_seconds"] = Math.Round(importSeconds, 1),
            ["submissions_acknowledged"] = acknowledged.Count,
            ["submissions_stored"] = submissions.Count,
            ["events_stored"] = eventSubmissions.Count,
            ["acknowledged_not_stored"] = acknowledged.Count(a => !stored.Contains(a)),
            ["stored_not_acknowledged"] = stored.Count(s => !acknowledged.Contains(s)),
            ["duplicate_events"] = duplicateEvents + (submissions.Count - stored.Count),
            ["retries_sent"] = tally.Retries,
            ["retries_answered_with_stored_result"] = tally.RetriesAnsweredStored,
            ["unexpected_duplicates"] = tally.UnexpectedDuplicates,
            ["errors"] = tally.Errors,
            ["submits_per_second"] = Math.Round(all.Length / elapsed, 1),
            ["submit_p50_ms"] = Percentile(warm, 0.50),
            ["submit_p90_ms"] = Percentile(warm, 0.90),
            ["submit_p99_ms"] = Percentile(warm, 0.99),
            ["submit_max_ms"] = warm.Length == 0 ? 0 : Math.Round(warm[^1], 2),
            ["submit_p99_ms_with_warmup"] = Percentile(all, 0.99),
            ["warmup_seconds_excluded"] = Warmup.TotalSeconds,
            ["next_p50_ms"] = Percentile(next, 0.50),
            ["next_p99_ms"] = Percentile(next, 0.99),
            ["next_p99_ms_with_warmup"] = Percentile(nextAll, 0.99),
            ["next_answers"] = nextAll.Length,
            ["next_empty_answers"] = tally.EmptyNext,
            ["embed_models"] = string.Join(", ", embedModels),
            ["embeddings_written_during_run"] = embeddingsAfter - embeddingsBefore,
            ["embed_job_still_running_at_end"] = embedStillRunning,
        };
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)], 2);

    private static async Task LabellerAsync(HttpClient client, int n, int datasetId, List<long> imageIds, List<int> classIds, Options options, Tally tally, Stopwatch started, TimeSpan stopAt)
    {
        var random = new Random(n);
        var sequence = 0;
        while (started.Elapsed < stopAt)
        {
            var clock = Stopwatch.StartNew();
            // The first round is 50 labellers asking at the same instant, each lease taken in turn under the write
            // lock: a thundering herd reported apart, as the submit warm-up is.
            var warm = started.Elapsed > Warmup;
            var ids = new List<long>();
            using (var response = await client.GetAsync(new Uri($"/api/label/{datasetId}/next?count=10", UriKind.Relative)))
            {
                tally.Next.Add(clock.Elapsed.TotalMilliseconds);
                if (warm)
                {
                    tally.NextWarm.Add(clock.Elapsed.TotalMilliseconds);
                }

                if (response.IsSuccessStatusCode)
                {
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
                    ids.AddRange(body.RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
                    if (ids.Count == 0)
                    {
                        // With 9,144 images and a minute of labelling the queue never runs dry: an empty answer is a
                        // labeller wrongly told there is nothing left.
                        Interlocked.Increment(ref tally.EmptyNext);
                    }
                }
                else
                {
                    Interlocked.Increment(ref tally.Errors);
                }
            }

            if (ids.Count == 0)
            {
                // This labeller has seen everything: relabel images at random (each a new event all the same).
                ids.AddRange(Enumerable.Range(0, 10).Select(_ => imageIds[random.Next(imageIds.Count)]));
            }

            foreach (var id in ids)
            {
                if (started.Elapsed >= stopAt)
                {
                    return;
                }

                if (options.ThinkMs > 0)
                {
                    // A person looks at the image before deciding; without a pause 50 clients are a load test of the queue.
                    await Task.Delay(random.Next(2 * options.ThinkMs));
                }

                var clientId = $"bench-{n}-{sequence++}";
                var payload = new { clientId, source = "bench", items = new[] { new { imageId = id, action = "label", classId = classIds[random.Next(classIds.Count)] } } };
                var (ok, duplicate, ms) = await SubmitAsync(client, datasetId, payload);
                tally.Submit.Add(ms);
                if (started.Elapsed > Warmup)
                {
                    tally.SubmitWarm.Add(ms);
                }

                if (!ok)
                {
                    Interlocked.Increment(ref tally.Errors);
                    continue;
                }

                if (duplicate)
                {
                    Interlocked.Increment(ref tally.UnexpectedDuplicates);
                }
                else
                {
                    tally.Acknowledged.Add(clientId);
                }

                if (random.NextDouble() < options.RetryShare)
                {
                    // As if the answer had been lost: the same submission again must get the stored result back.
                    Interlocked.Increment(ref tally.Retries);
                    var (again, repeat, _) = await SubmitAsync(client, datasetId, payload);
                    if (again && repeat)
                    {
                        Interlocked.Increment(ref tally.RetriesAnsweredStored);
                    }
                }
            }
        }
    }

    private static async Task<(bool Ok, bool Duplicate, double Milliseconds)> SubmitAsync(HttpClient client, int datasetId, object payload)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await client.PostAsJsonAsync(new Uri($"/api/label/{datasetId}/submit", UriKind.Relative), payload);
            if (!response.IsSuccessStatusCode)
            {
                return (false, false, clock.Elapsed.TotalMilliseconds);
            }

            using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            return (true, body.RootElement.GetProperty("duplicate").GetBoolean(), clock.Elapsed.TotalMilliseconds);
        }
        catch (HttpRequestException)
        {
            return (false, false, clock.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>Creates labeller n, signs in through the login form, and keeps the antiforgery token the pages would.</summary>
    private static async Task<HttpClient> SignInAsync(IServiceProvider services, Uri baseAddress, int n, int datasetId, CancellationToken ct)
    {
        var email = $"bench-labeller-{n}@bench.local";
        const string password = "Bench-Labeller-Passw0rd!";
        using (var scope = services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PlatformUser>>();
            var user = new PlatformUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
            var created = await users.CreateAsync(user, password);
            if (!created.Succeeded || !(await users.AddToRoleAsync(user, Roles.Labeller)).Succeeded)
            {
                throw new InvalidOperationException($"could not create {email}: {string.Join("; ", created.Errors.Select(e => e.Description))}");
            }
        }

        var handler = new SocketsHttpHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false };
        var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var login = await client.GetStringAsync(new Uri("/Account/Login", UriKind.Relative), ct);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["__RequestVerificationToken"] = Token(login),
        });
        using var signedIn = await client.PostAsync(new Uri("/Account/Login", UriKind.Relative), form, ct);
        if (signedIn.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"sign-in of {email} answered {(int)signedIn.StatusCode}");
        }

        var page = await client.GetStringAsync(new Uri($"/Label/Work/{datasetId}", UriKind.Relative), ct);
        client.DefaultRequestHeaders.Add("RequestVerificationToken", Token(page));
        return client;
    }

    private static string Token(string html) =>
        WebUtility.HtmlDecode(TokenPattern().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("no antiforgery token on the page"));

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
