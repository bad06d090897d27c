using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using LabelPlatform.Testing;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Tests.Infrastructure;

/// <summary>The core services alone (no web, no Hangfire) over a real SQLite file in a temp folder (or PostgreSQL, see TestDatabase).</summary>
public sealed class CorePlatform : IAsyncDisposable
{
    private CorePlatform(ServiceProvider services, string dataDirectory, List<string> logs, TestDatabase? database)
    {
        Services = services;
        DataDirectory = dataDirectory;
        Logs = logs;
        Database = database;
    }

    /// <summary>This platform's PostgreSQL database; null on a SQLite run.</summary>
    public TestDatabase? Database { get; }

    public ServiceProvider Services { get; }
    public string DataDirectory { get; }
    /// <summary>Everything logged since start (Information and up), live.</summary>
    public List<string> Logs { get; }

    public static async Task<CorePlatform> StartAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null) =>
        await StartAsync(settings, configure, TestDatabase.CreateIfPostgres(), ownsDatabase: true);

    /// <summary>A second platform over the same database as <paramref name="first"/>: another process, as far as the database can tell.</summary>
    public static Task<CorePlatform> AlongsideAsync(CorePlatform first, Dictionary<string, string?>? settings = null) =>
        StartAsync(settings, null, first.Database, ownsDatabase: false, first.DataDirectory);

    private static async Task<CorePlatform> StartAsync(Dictionary<string, string?>? settings, Action<IServiceCollection>? configure, TestDatabase? database, bool ownsDatabase,
        string? sharedDataDirectory = null)
    {
        var dataDirectory = sharedDataDirectory ?? Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));
        var all = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = dataDirectory,
            ["Identity:Admin:Email"] = "admin@core.test",
            ["Identity:Admin:Password"] = "Admin-Passw0rd!",
            ["Embeddings:EmbedAfterImport"] = "false",
            ["Embeddings:MobileNetV2Path"] = SharedPaths.MobileNetV2,
            // The int8 path on every CPU (as PlatformFactory): results do not depend on the machine running the suite.
            ["Embeddings:Int8DotProductsExact"] = "true",
        };
        TestDatabase.Apply(database, all);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var logs = new List<string>();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(new ListLoggerProvider(logs)))
            .AddSingleton<IJobScheduler, RecordingScheduler>();
        // Before the core: it only adds its own defaults (TryAdd), so a test's replacements win.
        configure?.Invoke(services);
        services.AddPlatformCore(configuration, dataDirectory);
        var provider = services.BuildServiceProvider();
        await DatabaseInitializer.InitializeAsync(provider);
        return new CorePlatform(provider, dataDirectory, logs, ownsDatabase ? database : null) { _sharesDirectory = sharedDataDirectory is not null };
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Runs a folder import the way the CLI does (job run + executor) and returns the finished run.</summary>
    public async Task<(ImportSummary? Summary, JobRun Run)> ImportFolderAsync(string dataset, string folder, string? noiseClass = null)
    {
        var target = await Get<DatasetService>().GetOrCreateAsync(dataset, null, "test");
        var runs = Get<JobRunService>();
        var run = await runs.CreateAsync(JobKinds.Import, target.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder, NoiseClass = noiseClass }, "test");
        var importer = Get<DatasetImporter>();
        var summary = await Get<JobExecutor>().RunAsync(run.Id, async (r, p, ct) => (await importer.RunAsync(r, p, ct), "done"), ex => ex is ImportSourceException, CancellationToken.None);
        return (summary, (await runs.FindAsync(run.Id))!);
    }

    /// <summary>Runs an import of an archive already on the server (as an upload is), the way the CLI does.</summary>
    public async Task<(ImportSummary? Summary, JobRun Run)> ImportArchiveAsync(string dataset, string archive)
    {
        var target = await Get<DatasetService>().GetOrCreateAsync(dataset, null, "test");
        var runs = Get<JobRunService>();
        var run = await runs.CreateAsync(JobKinds.Import, target.Id, new ImportParameters { Source = ImportSources.Archive, Path = archive, ArchiveName = Path.GetFileName(archive) }, "test");
        var importer = Get<DatasetImporter>();
        var summary = await Get<JobExecutor>().RunAsync(run.Id, async (r, p, ct) => (await importer.RunAsync(r, p, ct), "done"), ex => ex is ImportSourceException, CancellationToken.None);
        return (summary, (await runs.FindAsync(run.Id))!);
    }

    /// <summary>Runs an embed job for the dataset and model version the way the CLI does.</summary>
    public async Task<(EmbedSummary? Summary, JobRun Run)> EmbedAsync(string dataset, EmbeddingModel model)
    {
        var target = await Get<DatasetService>().FindByNameAsync(dataset) ?? throw new InvalidOperationException($"no dataset {dataset}");
        var runs = Get<JobRunService>();
        var run = await runs.CreateAsync(JobKinds.Embed, target.Id, new EmbedParameters(model.Id), "test");
        var embeddings = Get<EmbeddingService>();
        var summary = await Get<JobExecutor>().RunAsync(run.Id, async (r, p, ct) => (await embeddings.RunAsync(r, p, ct), "done"), ex => ex is EmbeddingException, CancellationToken.None);
        return (summary, (await runs.FindAsync(run.Id))!);
    }

    private bool _sharesDirectory;

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Database?.Dispose();
        if (_sharesDirectory)
        {
            return; // the first platform's folder: it deletes it
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed class RecordingScheduler : IJobScheduler
    {
        public string Enqueue(JobRun run) => $"test-{run.Id}";
    }
}
