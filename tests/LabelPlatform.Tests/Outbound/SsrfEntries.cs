using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Crawling;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Outbound;

/// <summary>One URL tried through one entry: whether the platform refused it, and the reason it gave.</summary>
public sealed record SsrfAttempt(string Entry, string Url, bool Refused, string Reason)
{
    /// <summary>A refusal names the guard's decision ("blocked ...") or the URL's unusable form; anything else got further.</summary>
    public static bool IsRefusal(string reason) =>
        reason.Contains("blocked", StringComparison.Ordinal) || reason.Contains("http:// or https://", StringComparison.Ordinal);
}

/// <summary>The three ways a URL from outside makes the platform send a request: crawl seed, archive import, model download.</summary>
public static class SsrfEntries
{
    public const string Crawl = "crawler seed";
    public const string Archive = "archive download";
    public const string Model = "model download";

    public static readonly string[] All = [Crawl, Archive, Model];

    public static Task<SsrfAttempt> TryAsync(CorePlatform platform, string entry, string url) => entry switch
    {
        Crawl => CrawlAsync(platform, url),
        Archive => ImportAsync(platform, url),
        _ => RegisterModelAsync(platform, url),
    };

    /// <summary>A crawl of the one seed, run the way the CLI runs it; refused when every URL it recorded was blocked.</summary>
    public static async Task<SsrfAttempt> CrawlAsync(CorePlatform platform, string url)
    {
        var crawls = platform.Get<CrawlService>();
        CrawlSettings settings;
        try
        {
            settings = crawls.BuildSettings([url], maxDepth: 0, maxPages: 1, maxImages: 1, null);
        }
        catch (CrawlException ex)
        {
            return new SsrfAttempt(Crawl, url, SsrfAttempt.IsRefusal(ex.Message), ex.Message);
        }

        var (crawl, run) = await CrawlRunning.CreateAsync(platform, Name("crawl"), settings);
        await CrawlRunning.RunAsync(platform, run.Id);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        var rows = await db.CrawlUrls.Where(u => u.CrawlId == crawl.Id).ToListAsync();
        var reason = string.Join("; ", rows.Select(r => $"{r.Status}: {r.Reason}"));
        var refused = rows.Count > 0 && rows.All(r => r.Status == CrawlUrlStatus.Blocked && SsrfAttempt.IsRefusal(r.Reason ?? ""));
        return new SsrfAttempt(Crawl, url, refused, reason);
    }

    /// <summary>An import-by-URL job, run the way the CLI runs it; refused when the job failed with a refusal.</summary>
    public static async Task<SsrfAttempt> ImportAsync(CorePlatform platform, string url)
    {
        var target = await platform.Get<DatasetService>().GetOrCreateAsync(Name("import"), null, "test");
        var runs = platform.Get<JobRunService>();
        var run = await runs.CreateAsync(JobKinds.Import, target.Id, new ImportParameters { Source = ImportSources.Url, Url = url }, "test");
        var importer = platform.Get<DatasetImporter>();
        await platform.Get<JobExecutor>().RunAsync(run.Id, async (r, p, ct) => (await importer.RunAsync(r, p, ct), "done"), ex => ex is ImportSourceException, CancellationToken.None);
        var finished = (await runs.FindAsync(run.Id))!;
        var reason = $"{finished.State}: {finished.Error}";
        return new SsrfAttempt(Archive, url, finished.State == JobState.Failed && SsrfAttempt.IsRefusal(finished.Error ?? ""), reason);
    }

    /// <summary>A model registration by URL; refused when it threw with a refusal and registered nothing.</summary>
    public static async Task<SsrfAttempt> RegisterModelAsync(CorePlatform platform, string url)
    {
        var registration = new ModelRegistration { Name = Name("model"), Tensor = "627", Origin = url };
        try
        {
            var model = await platform.Get<ModelRegistry>().RegisterFromUrlAsync(registration, url, null);
            return new SsrfAttempt(Model, url, false, $"registered {model.Name}");
        }
        catch (EmbeddingException ex)
        {
            return new SsrfAttempt(Model, url, SsrfAttempt.IsRefusal(ex.Message), ex.Message);
        }
    }

    private static string Name(string prefix) => $"ssrf-{prefix}-{Guid.NewGuid():N}"[..30];
}
