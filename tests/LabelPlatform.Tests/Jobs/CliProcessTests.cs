using System.Diagnostics;
using System.Text.Json;
using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;
using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Web.Cli;
using LabelPlatform.Web.Endpoints;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Jobs;

/// <summary>
/// The real executables: a CLI import killed with SIGKILL is shown interrupted once its lease lapses and the same
/// command resumes that run; an out-of-range option stops the web app, the worker and the CLI at once, naming the key.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public class CliProcessTests : IDisposable
{
    private const string ClassName = "airplanes"; // 800 images: long enough to kill the CLI half-way
    private readonly string _data = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));
    private readonly TestDatabase? _database = TestDatabase.CreateIfPostgres();
    private readonly List<Process> _processes = [];

    private Dictionary<string, string?> Settings => TestDatabase.Apply(_database, new()
    {
        ["Storage:DataDirectory"] = _data,
        ["Identity:Admin:Password"] = "Admin-Passw0rd!",
        ["Import:BatchSize"] = "10",
        ["Import:Parallelism"] = "1",
        ["Embeddings:EmbedAfterImport"] = "false",
        ["Jobs:LeaseDuration"] = "00:00:02",
        ["Jobs:BackgroundNice"] = "0",
    });

    [Fact]
    public async Task Killed_cli_import_is_shown_interrupted_and_the_same_command_resumes_that_run()
    {
        using var folder = new ImportFolder().AddCaltech(ClassName, 800);
        string[] command = ["import", "--dataset", "cli-kill", "--path", folder.Root, "--json"];
        await using var client = BuildClientServices();
        var runs = client.GetRequiredService<JobRunService>();

        var first = Start("LabelPlatform.Web.dll", command, Settings);
        var progressed = await Polling.WaitUntilAsync(async () => await FirstRunAsync(client) is { Processed: >= 50 }, TimeSpan.FromSeconds(90));
        Assert.True(progressed, "the CLI import never made progress");
        first.Kill(entireProcessTree: true); // SIGKILL: no chance to record an outcome
        await first.WaitForExitAsync();
        var killed = (await FirstRunAsync(client))!;
        Assert.Equal(JobState.Running, killed.State);
        Assert.True(killed.Processed < 800, "the import finished before the CLI was killed; the test proved nothing");

        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the lease lapses
        var lapsed = (await runs.FindAsync(killed.Id))!;
        Assert.True(lapsed.IsInterrupted(DateTimeOffset.UtcNow));
        Assert.Equal("Interrupted", JobEndpoints.ToStatus(lapsed, DateTimeOffset.UtcNow).State);

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await PlatformCli.RunAsync(command, stdout, stderr, Settings);

        Assert.True(code == 0, stderr.ToString());
        Assert.Contains($"resuming job run {killed.Id}", stderr.ToString(), StringComparison.Ordinal);
        using var summary = JsonDocument.Parse(stdout.ToString());
        Assert.Equal(killed.Id, summary.RootElement.GetProperty("job_run_id").GetInt64());
        await using var db = await client.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(1, await db.JobRuns.CountAsync(j => j.Kind == JobKinds.Import));
        var done = (await runs.FindAsync(killed.Id))!;
        Assert.True(done.State == JobState.Succeeded, $"{done.State}: {done.Error}");
        Assert.Equal(800, await db.Images.CountAsync());
        Assert.Equal(800, await db.Images.Select(i => i.Origin).Distinct().CountAsync());
    }

    [Theory]
    [InlineData("LabelPlatform.Web.dll")]
    [InlineData("LabelPlatform.Worker.dll")]
    public async Task An_out_of_range_option_stops_the_process_at_once_with_exit_code_2_naming_the_key(string executable)
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Jobs:LeaseDuration"] = "00:00:00", ["Urls"] = "http://127.0.0.1:0" };
        var errors = new List<string>();

        var process = Start(executable, [], settings, errors);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a safety net, not a speed target
        await process.WaitForExitAsync(deadline.Token);

        Assert.Equal(2, process.ExitCode);
        lock (errors)
        {
            Assert.Contains(errors, l => l.Contains("invalid configuration: Jobs:LeaseDuration = 00:00:00: must be between 00:00:01 and 1.00:00:00", StringComparison.Ordinal));
        }

        Assert.False(await SchemaExistsAsync(), "the database was created although the configuration was refused");
    }

    private async Task<JobRun?> FirstRunAsync(IServiceProvider client)
    {
        if (!await SchemaExistsAsync())
        {
            return null;
        }

        try
        {
            await using var db = await client.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
            return await db.JobRuns.AsNoTracking().OrderBy(j => j.Id).FirstOrDefaultAsync();
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.PostgresException)
        {
            return null; // the CLI is still creating the schema
        }
    }

    /// <summary>Whether a process created the platform's schema: the SQLite file, or PostgreSQL's migrations table (the database itself is the test's).</summary>
    private async Task<bool> SchemaExistsAsync()
    {
        if (_database is null)
        {
            return File.Exists(Path.Combine(_data, "labelplatform.db"));
        }

        await using var connection = new Npgsql.NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT to_regclass('public.\"__EFMigrationsHistory\"') IS NOT NULL", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private ServiceProvider BuildClientServices()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPlatformCore(configuration, _data);
        services.AddPlatformJobs(configuration, runServer: false);
        return services.BuildServiceProvider();
    }

    private Process Start(string dll, string[] args, Dictionary<string, string?> settings, List<string>? errors = null)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, dll), .. args])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (errors is not null && e.Data is not null)
            {
                lock (errors)
                {
                    errors.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }


    public void Dispose()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }

        _database?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            if (Directory.Exists(_data))
            {
                Directory.Delete(_data, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
