using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// The crawl commands: creating, pausing, resuming and cancelling crawls, and reading their settings and totals. The
/// runs themselves are <see cref="CrawlRunner"/>'s.
/// </summary>
public sealed class CrawlService(
    IDbContextFactory<PlatformDbContext> contexts,
    JobRunService runs,
    CrawlFrontier frontier,
    IOptions<CrawlerOptions> crawlerOptions,
    TimeProvider clock)
{
    private readonly CrawlerOptions _options = crawlerOptions.Value;

    public CrawlerOptions Options => _options;

    /// <summary>Checks what a person asked for and fills in the defaults; a <see cref="CrawlException"/> says what is wrong.</summary>
    public CrawlSettings BuildSettings(IEnumerable<string> seeds, int? maxDepth, int? maxPages, int? maxImages, IEnumerable<string>? allowDomains)
    {
        var settings = new CrawlSettings
        {
            MaxDepth = maxDepth ?? _options.DefaultMaxDepth,
            MaxPages = maxPages ?? _options.DefaultMaxPages,
            MaxImages = maxImages ?? _options.DefaultMaxImages,
        };
        foreach (var seed in seeds.Select(s => s.Trim()).Where(s => s.Length > 0))
        {
            var url = UrlNormalizer.Normalize(seed) ?? throw new CrawlException($"seed '{CrawlText.Clip(seed, 200)}' is not an absolute http:// or https:// URL");
            if (!settings.Seeds.Contains(url.AbsoluteUri))
            {
                settings.Seeds.Add(url.AbsoluteUri);
            }
        }

        if (settings.Seeds.Count == 0)
        {
            throw new CrawlException("give at least one seed URL");
        }

        if (settings.MaxDepth is < 0 or > 1000)
        {
            throw new CrawlException("max depth must be between 0 and 1000");
        }

        if (settings.MaxPages < 1 || settings.MaxImages < 0)
        {
            throw new CrawlException("max pages must be at least 1 and max images at least 0");
        }

        foreach (var domain in (allowDomains ?? []).Select(d => d.Trim().TrimEnd('.').ToLowerInvariant()).Where(d => d.Length > 0))
        {
            // Stored the way URLs are compared (Uri.IdnHost): punycode for names, IPv6 without brackets.
            var bare = domain.Trim('[', ']');
            var kind = Uri.CheckHostName(bare);
            string? ascii = null;
            try
            {
                ascii = kind == UriHostNameType.Dns ? new System.Globalization.IdnMapping().GetAscii(bare) : bare;
            }
            catch (ArgumentException)
            {
            }

            if (kind == UriHostNameType.Unknown || ascii is null)
            {
                throw new CrawlException($"'{CrawlText.Clip(domain, 200)}' is not a host name or IP address");
            }

            settings.AllowedDomains.Add(ascii);
        }

        if (settings.AllowedDomains.Count == 0)
        {
            settings.AllowedDomains.AddRange(settings.Seeds.Select(s => new Uri(s).IdnHost).Distinct());
        }

        return settings;
    }

    /// <summary>Records a crawl and its first job run; queues the run unless the caller executes it itself (CLI).</summary>
    public async Task<(Crawl Crawl, JobRun Run)> CreateAsync(int datasetId, CrawlSettings settings, string? startedBy, bool enqueue, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var crawl = new Crawl
        {
            DatasetId = datasetId,
            State = CrawlState.Queued,
            SettingsJson = JsonSerializer.Serialize(settings, JobRunService.Json),
            CreatedBy = startedBy,
            CreatedAt = clock.GetUtcNow(),
        };
        db.Crawls.Add(crawl);
        await db.SaveChangesAsync(cancellationToken);
        var run = await StartRunAsync(crawl, startedBy, enqueue, cancellationToken);
        return (crawl, run);
    }

    /// <summary>
    /// Starts a new job run of a paused or failed crawl; it goes on from the frontier. Null when the crawl is neither;
    /// a <see cref="CrawlException"/> while its previous run is still finishing its requests in flight.
    /// </summary>
    public async Task<JobRun?> ResumeAsync(int crawlId, string? startedBy, bool enqueue = true, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var crawl = await db.Crawls.FirstOrDefaultAsync(c => c.Id == crawlId, cancellationToken);
        if (crawl is null || crawl.State is not (CrawlState.Paused or CrawlState.Failed))
        {
            return null;
        }

        // A pause lets the requests in flight finish; until that run has ended (or its worker died and its lease
        // lapsed), a second run would race it over the same frontier.
        if (crawl.CurrentJobRunId is { } current
            && await db.JobRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == current, cancellationToken) is { IsFinished: false } previous
            && previous.LeaseExpiresAt > clock.GetUtcNow())
        {
            throw new CrawlException($"crawl {crawlId} is still stopping: its run (job run {current}) is recording the requests it had in flight; resume it in a moment");
        }

        // Claimed with one conditional update: of two resumes at once (a double click) only one starts a run.
        var (state, run) = (crawl.State, crawl.CurrentJobRunId);
        if (await db.Crawls.Where(c => c.Id == crawlId && c.State == state && c.CurrentJobRunId == run)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, CrawlState.Queued), cancellationToken) != 1)
        {
            return null;
        }

        try
        {
            return await StartRunAsync(crawl, startedBy, enqueue, cancellationToken);
        }
        catch
        {
            await db.Crawls.Where(c => c.Id == crawlId && c.CurrentJobRunId == run).ExecuteUpdateAsync(s => s.SetProperty(c => c.State, state), CancellationToken.None);
            throw;
        }
    }

    private async Task<JobRun> StartRunAsync(Crawl crawl, string? startedBy, bool enqueue, CancellationToken cancellationToken)
    {
        var parameters = new CrawlJobParameters(crawl.Id);
        var run = enqueue
            ? await runs.CreateAndEnqueueAsync(JobKinds.Crawl, crawl.DatasetId, parameters, startedBy, cancellationToken)
            : await runs.CreateAsync(JobKinds.Crawl, crawl.DatasetId, parameters, startedBy, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Crawls.Where(c => c.Id == crawl.Id).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.CurrentJobRunId, run.Id)
            .SetProperty(c => c.State, CrawlState.Queued)
            .SetProperty(c => c.FinishedAt, (DateTimeOffset?)null), cancellationToken);
        return run;
    }

    /// <summary>Stops the current run; the frontier stays for <see cref="ResumeAsync"/>.</summary>
    public Task<bool> PauseAsync(int crawlId, CancellationToken cancellationToken = default) => StopAsync(crawlId, CrawlState.Paused, cancellationToken);

    /// <summary>Stops the current run for good.</summary>
    public Task<bool> CancelAsync(int crawlId, CancellationToken cancellationToken = default) => StopAsync(crawlId, CrawlState.Cancelled, cancellationToken);

    private async Task<bool> StopAsync(int crawlId, CrawlState state, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var crawl = await db.Crawls.FirstOrDefaultAsync(c => c.Id == crawlId, cancellationToken);
        if (crawl is null || crawl.State is CrawlState.Completed or CrawlState.Cancelled || (state == CrawlState.Paused && crawl.State == CrawlState.Paused))
        {
            return false;
        }

        crawl.State = state;
        crawl.Message = state == CrawlState.Paused ? "Paused: resume goes on from the frontier" : "Cancelled";
        if (state == CrawlState.Cancelled)
        {
            crawl.FinishedAt = clock.GetUtcNow();
        }

        await db.SaveChangesAsync(cancellationToken);
        if (crawl.CurrentJobRunId is { } runId)
        {
            await runs.RequestCancelAsync(runId, cancellationToken);
            if (state == CrawlState.Paused)
            {
                // A queued run stops at once; a running one is marked when it has drained (SyncAfterRunAsync).
                await runs.MarkPausedAsync(runId);
            }
        }

        return true;
    }

    /// <summary>After a run ended without completing (failed, or cancelled from the Jobs page), brings the crawl's state in line.</summary>
    public async Task SyncAfterRunAsync(long jobRunId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.JobRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == jobRunId, cancellationToken);
        if (run is not { IsFinished: true } || run.State == JobState.Succeeded)
        {
            return;
        }

        var state = run.State == JobState.Failed ? CrawlState.Failed : CrawlState.Paused;
        await db.Crawls.Where(c => c.CurrentJobRunId == jobRunId && (c.State == CrawlState.Running || c.State == CrawlState.Queued))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, state).SetProperty(c => c.Message, run.Error ?? run.Message), cancellationToken);
        if (run.State == JobState.Cancelled && await db.Crawls.AnyAsync(c => c.CurrentJobRunId == jobRunId && c.State == CrawlState.Paused, cancellationToken))
        {
            // The run stopped so the crawl could pause: it reads "Paused" (resumable), not "Cancelled".
            await runs.MarkPausedAsync(jobRunId);
        }
    }

    public Task<CrawlCounts> CountAsync(int crawlId, CancellationToken cancellationToken = default) => frontier.CountAsync(crawlId, cancellationToken);

    public static CrawlSettings ReadSettings(Crawl crawl) => JsonSerializer.Deserialize<CrawlSettings>(crawl.SettingsJson, JobRunService.Json) ?? new CrawlSettings();
}
