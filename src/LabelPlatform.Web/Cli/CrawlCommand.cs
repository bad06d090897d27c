using System.CommandLine;
using System.Text.Json;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Jobs;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `crawl --dataset NAME --seed URL [--seed URL] [--max-depth N] [--max-pages N] [--max-images N] [--allow-domain D] [--json]`:
/// a crawl run in this process. Exit codes: 0 done, 1 failed, 2 bad arguments, 130 interrupted (paused: resume it
/// from the Crawls page or let a worker pick it up; the frontier keeps what was done).
/// </summary>
internal static class CrawlCommand
{
    private static readonly JsonSerializerOptions JsonOutput = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var dataset = new Option<string>("--dataset") { Description = "Dataset name (created when missing)", Required = true };
        var seeds = new Option<string[]>("--seed") { Description = "Start URL (repeatable)", Required = true, AllowMultipleArgumentsPerToken = false };
        var maxDepth = new Option<int?>("--max-depth") { Description = "Links followed from a seed (default Crawler:DefaultMaxDepth)" };
        var maxPages = new Option<int?>("--max-pages") { Description = "Pages admitted to the frontier (default Crawler:DefaultMaxPages)" };
        var maxImages = new Option<int?>("--max-images") { Description = "Images admitted to the frontier (default Crawler:DefaultMaxImages)" };
        var allow = new Option<string[]>("--allow-domain") { Description = "Host in scope with its subdomains (repeatable; default: the seeds' hosts)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the totals on stdout" };
        var command = new Command("crawl", "Crawl web pages for images into a dataset (robots.txt, politeness and the SSRF guard apply)")
        {
            dataset, seeds, maxDepth, maxPages, maxImages, allow, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(dataset)!;
            if (!DatasetService.IsValidName(name))
            {
                await stderr.WriteLineAsync($"error: '{name}' is not a valid dataset name (letters, digits, '-', '_', '.')");
                return 2;
            }

            using var host = await PlatformCli.StartHostAsync(settings, cancellationToken);
            var services = host.Services;
            var crawls = services.GetRequiredService<CrawlService>();
            CrawlSettings crawlSettings;
            try
            {
                crawlSettings = crawls.BuildSettings(parse.GetValue(seeds) ?? [], parse.GetValue(maxDepth), parse.GetValue(maxPages), parse.GetValue(maxImages), parse.GetValue(allow));
            }
            catch (CrawlException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            var target = await services.GetRequiredService<DatasetService>().GetOrCreateAsync(name, null, "cli", cancellationToken);
            var (crawl, run) = await crawls.CreateAsync(target.Id, crawlSettings, $"cli:{Environment.UserName}", enqueue: false, cancellationToken);
            var (summary, exitCode) = await PlatformCli.RunJobAsync(services, run.Id, "crawl",
                ct => services.GetRequiredService<CrawlJob>().RunAsync(run.Id, ct), stderr, cancellationToken);
            if (summary is null)
            {
                if (exitCode == 130)
                {
                    await crawls.PauseAsync(crawl.Id, CancellationToken.None);
                }

                return exitCode;
            }

            if (parse.GetValue(json))
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(ToJson(summary), JsonOutput));
            }
            else
            {
                await stdout.WriteLineAsync($"{summary.Dataset}: crawl {summary.CrawlId}: {summary.Describe()} in {summary.Seconds:0.0} s. Job run {summary.JobRunId}.");
            }

            return 0;
        });
        return command;
    }

    internal static Dictionary<string, object> ToJson(CrawlSummary summary) => new()
    {
        ["dataset"] = summary.Dataset,
        ["crawl_id"] = summary.CrawlId,
        ["job_run_id"] = summary.JobRunId,
        ["pages"] = summary.Pages,
        ["accepted"] = summary.Accepted,
        ["duplicates"] = summary.Duplicates,
        ["near_duplicates"] = summary.NearDuplicates,
        ["rejected"] = summary.Rejected,
        ["failed"] = summary.Failed,
        ["disallowed"] = summary.Disallowed,
        ["blocked"] = summary.Blocked,
        ["skipped"] = summary.Skipped,
        ["seconds"] = Math.Round(summary.Seconds, 2),
    };
}
