using System.CommandLine;
using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Settings;
using LabelPlatform.Jobs;
using LabelPlatform.Web.Hosting;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// Verbs on the web executable for headless and scripted use. They build the same services as the web app (same
/// configuration, database and data directory) but start no web server and no job server.
/// </summary>
public static class PlatformCli
{
    private static readonly HashSet<string> Verbs = ["import", "embed", "search", "evaluate", "train", "splits", "models", "bench", "crawl", "map", "--help", "-h", "-?", "help"];

    public static bool IsCliInvocation(string[] args) => args.Length > 0 && Verbs.Contains(args[0]);

    /// <param name="settings">Configuration laid over appsettings.json and the environment (tests use it for their data folder).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        var root = new RootCommand("LabelPlatform: visual search dataset platform. Without a verb the web app starts (see README).");
        root.Subcommands.Add(ImportCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(EmbedCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(SearchCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(EvaluateCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(TrainCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(SplitsCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(ModelsCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(BenchCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(CrawlCommand.Create(stdout, stderr, settings));
        root.Subcommands.Add(MapCommand.Create(stdout, stderr, settings));
        foreach (var delete in DeleteCommands.Create(stdout, stderr, settings))
        {
            root.Subcommands.Add(delete);
        }

        if (args is ["help", .. var rest])
        {
            args = [.. rest, "--help"];
        }

        var parse = root.Parse(args);
        try
        {
            // Without the default handler: a refused configuration must exit with 2, not print a stack trace with 1.
            return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (InvalidSettingsException e)
        {
            foreach (var problem in e.Problems)
            {
                await stderr.WriteLineAsync($"error: invalid configuration: {problem}");
            }

            return StartupSettings.InvalidExitCode;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            // A verb that starts a host of its own (bench label starts a web server) is checked when that host starts.
            foreach (var problem in e.Failures)
            {
                await stderr.WriteLineAsync($"error: invalid configuration: {problem}");
            }

            return StartupSettings.InvalidExitCode;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await stderr.WriteLineAsync($"error: {e}");
            return 1;
        }
    }

    /// <summary>A host with the platform's services and logs on stderr, so stdout carries only the verb's output.</summary>
    internal static async Task<IHost> StartHostAsync(IReadOnlyDictionary<string, string?>? settings, CancellationToken cancellationToken)
    {
        var contentRoot = ContentRoot.Locate();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot, Args = [] });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Logging.AddFilter("Hangfire", LogLevel.Warning);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddPlatformCore(builder.Configuration, contentRoot);
        builder.Services.AddPlatformJobs(builder.Configuration, runServer: false);
        var host = builder.Build();
        if (StartupSettings.Problems(host.Services) is { Count: > 0 } problems)
        {
            host.Dispose();
            throw new InvalidSettingsException(problems);
        }

        await DatabaseInitializer.InitializeAsync(host.Services, cancellationToken);
        return host;
    }

    /// <summary>The dataset of that name, or null after telling stderr it does not exist (the verb then exits with 2).</summary>
    internal static async Task<Core.Datasets.Dataset?> FindDatasetAsync(IServiceProvider services, string name, TextWriter stderr, CancellationToken cancellationToken)
    {
        var dataset = await services.GetRequiredService<Core.Datasets.DatasetService>().FindByNameAsync(name, cancellationToken);
        if (dataset is null)
        {
            await stderr.WriteLineAsync($"error: dataset '{name}' does not exist");
        }

        return dataset;
    }

    /// <summary>
    /// The same command's interrupted run (its process was killed; its lease lapsed), to be resumed from its checkpoint,
    /// or else a new run.
    /// </summary>
    internal static async Task<Core.Jobs.JobRun> ResumeOrCreateRunAsync(Core.Jobs.JobRunService runs, string kind, int datasetId, object parameters, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (await runs.FindInterruptedAsync(kind, datasetId, parameters, cancellationToken) is { } interrupted)
        {
            await stderr.WriteLineAsync($"resuming job run {interrupted.Id} (interrupted; its lease lapsed at {interrupted.LeaseExpiresAt:u})");
            return interrupted;
        }

        return await runs.CreateAsync(kind, datasetId, parameters, $"cli:{Environment.UserName}", cancellationToken);
    }

    /// <summary>
    /// Runs a job for an already-created run in this process. Returns the job's result, or the exit code to stop with:
    /// 130 when interrupted (the run is marked cancelled; a re-run resumes), 1 when the job failed (reason on stderr).
    /// </summary>
    internal static async Task<(T? Result, int ExitCode)> RunJobAsync<T>(IServiceProvider services, long runId, string what, Func<CancellationToken, Task<T?>> job, TextWriter stderr, CancellationToken cancellationToken)
        where T : class
    {
        var runs = services.GetRequiredService<Core.Jobs.JobRunService>();
        try
        {
            if (await job(cancellationToken) is { } result)
            {
                return (result, 0);
            }
        }
        catch (OperationCanceledException)
        {
            await runs.MarkCancelledAsync(runId);
            await stderr.WriteLineAsync($"{what} interrupted; job run {runId} marked cancelled (a re-run skips what was stored)");
            return (null, 130);
        }

        var failed = await runs.FindAsync(runId, CancellationToken.None);
        await stderr.WriteLineAsync($"error: {what} failed: {failed?.Error ?? failed?.Message ?? "unknown"}");
        return (null, 1);
    }
}
