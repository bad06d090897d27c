using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;
using LabelPlatform.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.E2E.Infrastructure;

/// <summary>
/// The integration tests' platform (real SQLite files in a temp folder, seeded admin, in-memory Hangfire running jobs
/// in-process) served by Kestrel on a free loopback port, so a real browser can reach it.
/// </summary>
public sealed class E2EServer : PlatformFactory
{
    private Uri? _baseAddress;

    public E2EServer()
    {
        // The crawl test serves its site on 127.0.0.1: only that address is opened in the SSRF guard.
        With("Outbound:AllowedNetworks:0", "127.0.0.1/32");
        With("Crawler:PerHostDelay", "00:00:00.100");
    }

    /// <summary>http://127.0.0.1:&lt;port&gt;/ — what the browser navigates to; set by <see cref="Start"/>.</summary>
    public Uri BaseAddress => _baseAddress ?? throw new InvalidOperationException("Call Start() first");

    /// <summary>
    /// A new dataset of the first <paramref name="perClass"/> images (by file name) of each Caltech class, copied to a
    /// folder of this server's data and imported there (the job runs in the test's thread); returns it and the folder.
    /// </summary>
    public async Task<(int DatasetId, string Folder)> ImportCaltechAsync(string prefix, IEnumerable<string> classes, int perClass)
    {
        var folder = Path.Combine(DataDirectory, $"{prefix}-source-{Guid.NewGuid():N}");
        foreach (var className in classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, className));
            foreach (var file in Directory.GetFiles(Path.Combine(SharedPaths.Caltech, className)).Order(StringComparer.Ordinal).Take(perClass))
            {
                File.Copy(file, Path.Combine(folder, className, Path.GetFileName(file)));
            }
        }

        var dataset = await Services.GetRequiredService<DatasetService>().GetOrCreateAsync($"{prefix}-{Guid.NewGuid():N}"[..20], null, "e2e");
        var import = await Services.GetRequiredService<JobRunService>().CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = folder }, "e2e");
        await Services.GetRequiredService<ImportDatasetJob>().ImportAsync(import.Id, CancellationToken.None);
        return (dataset.Id, folder);
    }

    /// <summary>Embeds the dataset with a built-in model (the job runs in the test's thread); returns the model.</summary>
    public async Task<EmbeddingModel> EmbedAsync(int datasetId, string builtInModel)
    {
        var model = (await Services.GetRequiredService<ModelRegistry>().FindOrRegisterBuiltInAsync(builtInModel))!;
        var embed = await Services.GetRequiredService<JobRunService>().CreateAsync(JobKinds.Embed, datasetId, new EmbedParameters(model.Id), "e2e");
        await Services.GetRequiredService<EmbedDatasetJob>().RunAsync(embed.Id, CancellationToken.None);
        return model;
    }

    /// <summary>Builds the host, migrates and seeds the database, and listens on Kestrel.</summary>
    public void Start()
    {
        // Port 0: the OS picks a free port, so parallel test classes and a developer's running app never collide.
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var address = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel started without reporting an address");
        _baseAddress = new Uri(address.TrimEnd('/') + "/");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // appsettings.json pins Urls to port 5080; a loopback port 0 keeps the tests off it.
        builder.UseSetting("urls", "http://127.0.0.1:0");
    }
}
