using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Crawling;

/// <summary>Frontier totals of one crawl, by outcome.</summary>
public sealed record CrawlCounts(int Pages, int Accepted, int Duplicates, int NearDuplicates, int Rejected, int Failed, int Disallowed, int Blocked, int Skipped, int QueuedPages, int QueuedImages)
{
    public int Queued => QueuedPages + QueuedImages;

    public static CrawlCounts From(IReadOnlyDictionary<(CrawlUrlKind Kind, CrawlUrlStatus Status), int> counts)
    {
        int Get(CrawlUrlKind kind, CrawlUrlStatus status) => counts.TryGetValue((kind, status), out var n) ? n : 0;
        int Both(CrawlUrlStatus status) => Get(CrawlUrlKind.Page, status) + Get(CrawlUrlKind.Image, status);
        return new CrawlCounts(Get(CrawlUrlKind.Page, CrawlUrlStatus.Fetched), Get(CrawlUrlKind.Image, CrawlUrlStatus.Accepted), Get(CrawlUrlKind.Image, CrawlUrlStatus.Duplicate),
            Get(CrawlUrlKind.Image, CrawlUrlStatus.NearDuplicate), Both(CrawlUrlStatus.Rejected), Both(CrawlUrlStatus.Failed), Both(CrawlUrlStatus.Disallowed), Both(CrawlUrlStatus.Blocked),
            Both(CrawlUrlStatus.Skipped), Get(CrawlUrlKind.Page, CrawlUrlStatus.Queued) + Get(CrawlUrlKind.Page, CrawlUrlStatus.Fetching),
            Get(CrawlUrlKind.Image, CrawlUrlStatus.Queued) + Get(CrawlUrlKind.Image, CrawlUrlStatus.Fetching));
    }
}

/// <summary>
/// Crawls: creating, pausing, resuming and cancelling them, and executing one job run of a crawl over its persistent
/// frontier. Every frontier entry is committed as soon as it is decided, so a run stopped in any way (pause, cancel,
/// shutdown, SIGKILL) resumes without fetching again what it finished.
/// </summary>
public sealed class CrawlService(
    IDbContextFactory<PlatformDbContext> contexts,
    JobRunService runs,
    GuardedFetcher fetcher,
    RobotsCache robots,
    NetworkGuard guard,
    ImageValidator validator,
    ImageStore store,
    IOptions<CrawlerOptions> crawlerOptions,
    TimeProvider clock,
    ILogger<CrawlService> logger)
{
    private readonly CrawlerOptions _options = crawlerOptions.Value;

    public CrawlerOptions Options => _options;

    // The run state below reaches the services through these (primary constructor parameters are not members).
    private IDbContextFactory<PlatformDbContext> Contexts => contexts;
    private TimeProvider Clock => clock;
    private GuardedFetcher Fetcher => fetcher;
    private RobotsCache Robots => robots;
    private NetworkGuard Guard => guard;
    private ImageValidator Validator => validator;
    private ImageStore Store => store;
    private ILogger<CrawlService> Logger => logger;

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
            var url = UrlNormalizer.Normalize(seed) ?? throw new CrawlException($"seed '{Clip(seed, 200)}' is not an absolute http:// or https:// URL");
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
                throw new CrawlException($"'{Clip(domain, 200)}' is not a host name or IP address");
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

    public async Task<CrawlCounts> CountAsync(int crawlId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.CrawlUrls.Where(u => u.CrawlId == crawlId).GroupBy(u => new { u.Kind, u.Status })
            .Select(g => new { g.Key.Kind, g.Key.Status, Count = g.Count() }).ToListAsync(cancellationToken);
        return CrawlCounts.From(rows.ToDictionary(r => (r.Kind, r.Status), r => r.Count));
    }

    public static CrawlSettings ReadSettings(Crawl crawl) => JsonSerializer.Deserialize<CrawlSettings>(crawl.SettingsJson, JobRunService.Json) ?? new CrawlSettings();

    /// <summary>Executes one job run of a crawl until its frontier has nothing queued.</summary>
    public async Task<CrawlSummary> RunAsync(JobRun run, JobProgress progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var crawlId = JobRunService.ReadParameters<CrawlJobParameters>(run).CrawlId;
        Crawl crawl;
        string datasetName;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            crawl = await db.Crawls.FirstOrDefaultAsync(c => c.Id == crawlId, cancellationToken) ?? throw new CrawlException($"crawl {crawlId} does not exist");
            if (crawl.State is CrawlState.Cancelled or CrawlState.Completed)
            {
                throw new CrawlException($"crawl {crawlId} is {crawl.State.ToString().ToLowerInvariant()}");
            }

            datasetName = await db.Datasets.Where(d => d.Id == crawl.DatasetId).Select(d => d.Name).FirstAsync(cancellationToken);
            crawl.State = CrawlState.Running;
            crawl.CurrentJobRunId = run.Id;
            crawl.Message = null;
            await db.SaveChangesAsync(cancellationToken);
        }

        // A URL still claimed for a fetch was in flight when a worker died (or lost its lease): the site may have
        // answered it, so it is recorded as interrupted rather than requested a second time.
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await MarkInterruptedAsync(db.CrawlUrls.Where(u => u.CrawlId == crawlId && u.Status == CrawlUrlStatus.Fetching), cancellationToken);
        }

        var settings = ReadSettings(crawl);
        using var state = await RunState.LoadAsync(this, crawl, settings, run.Id, progress, cancellationToken);
        await state.SeedAsync(cancellationToken);
        await state.ReportAsync(force: true, cancellationToken);

        // Pause and cancel drain: no new URL is claimed, and the requests already sent get their answers recorded.
        // One URL can take every try of its fetch plus a crawl delay between them; cutting it off would record it as
        // interrupted for good. Only a shutdown or a lost lease cuts a request off.
        progress.DrainOnCancel = _options.FetchTimeout * (_options.MaxRetries + 1) + _options.MaxCrawlDelay + _options.RetryBaseDelay * (1 << _options.MaxRetries);
        using var claiming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, progress.StopRequested);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = claiming.Token };
        while (!claiming.IsCancellationRequested)
        {
            List<CrawlUrl> batch;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            {
                // Breadth first: shallow pages before deep ones, so a page limit keeps the pages nearest the seeds.
                batch = await db.CrawlUrls.AsNoTracking().Where(u => u.CrawlId == crawlId && u.Status == CrawlUrlStatus.Queued)
                    .OrderBy(u => u.Depth).ThenBy(u => u.Id).Take(parallel.MaxDegreeOfParallelism * 16).ToListAsync(cancellationToken);
            }

            if (batch.Count == 0)
            {
                break;
            }

            try
            {
                await Parallel.ForEachAsync(batch, parallel, async (entry, _) =>
                {
                    await state.ProcessAsync(entry, claiming.Token, cancellationToken);
                    try
                    {
                        await state.ReportAsync(force: false, cancellationToken);
                    }
                    catch (JobCancelledException)
                    {
                        // Seen by this flush: StopRequested has fired, so no new URL is claimed; the others in flight finish.
                    }
                });
            }
            catch (OperationCanceledException) when (claiming.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Cancel or pause: the URLs in flight were recorded; the run ends as cancelled below.
                break;
            }

            await state.ReportAsync(force: true, cancellationToken);
        }

        progress.ThrowIfCancelled();

        var counts = await CountAsync(crawlId, cancellationToken);
        if (counts.Pages == 0 && counts.Accepted == 0)
        {
            // Nothing was fetched at all (every seed blocked, disallowed or failed): that is a failed crawl, with why.
            throw new CrawlException(await NothingCrawledAsync(crawlId, cancellationToken));
        }

        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.Crawls.Where(c => c.Id == crawlId && c.State == CrawlState.Running).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.State, CrawlState.Completed)
                .SetProperty(c => c.FinishedAt, clock.GetUtcNow())
                .SetProperty(c => c.Message, "Completed"), cancellationToken);
        }

        return new CrawlSummary(crawlId, run.Id, datasetName, counts.Pages, counts.Accepted, counts.Duplicates, counts.NearDuplicates, counts.Rejected,
            counts.Failed, counts.Disallowed, counts.Blocked, counts.Skipped, counts.Queued, stopwatch.Elapsed.TotalSeconds);
    }

    private async Task<string> NothingCrawledAsync(int crawlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var seeds = await db.CrawlUrls.AsNoTracking().Where(u => u.CrawlId == crawlId && u.Depth == 0).OrderBy(u => u.Id)
            .Select(u => new { u.Url, u.Status, u.Reason }).Take(5).ToListAsync(cancellationToken);
        var why = seeds.Select(u => $"{Clip(u.Url, 200)}: {u.Status.ToString().ToLowerInvariant()}{(u.Reason is { } r ? $" ({Clip(r, 300)})" : "")}");
        return $"nothing was crawled: no seed could be fetched - {string.Join("; ", why)}";
    }

    internal const string InterruptedReason = "interrupted: the worker stopped while this request was in flight; not requested again (a crawl requests each URL at most once)";

    /// <summary>Queued → Fetching, atomically: false when another run has claimed the URL or it is no longer queued.</summary>
    internal async Task<bool> ClaimAsync(long urlId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.CrawlUrls.Where(u => u.Id == urlId && u.Status == CrawlUrlStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, CrawlUrlStatus.Fetching), cancellationToken) == 1;
    }

    /// <summary>Ends a claim that was cut off: back to the queue if nothing was sent, otherwise failed as interrupted.</summary>
    private async Task ReleaseClaimAsync(long urlId, bool requestSent)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        var claimed = db.CrawlUrls.Where(u => u.Id == urlId && u.Status == CrawlUrlStatus.Fetching);
        if (requestSent)
        {
            await MarkInterruptedAsync(claimed, CancellationToken.None);
        }
        else
        {
            await claimed.ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, CrawlUrlStatus.Queued), CancellationToken.None);
        }
    }

    /// <summary>Records claimed URLs whose request may have reached the site as failed (interrupted), never to be sent again.</summary>
    private Task<int> MarkInterruptedAsync(IQueryable<CrawlUrl> claimed, CancellationToken cancellationToken) =>
        claimed.ExecuteUpdateAsync(s => s
            .SetProperty(u => u.Status, CrawlUrlStatus.Failed)
            .SetProperty(u => u.Reason, InterruptedReason)
            .SetProperty(u => u.FetchedAt, clock.GetUtcNow()), cancellationToken);

    private static string Clip(string? text, int max) => text is null ? "" : text.Length <= max ? text : text[..max];

    /// <summary>What one run keeps in memory: known URLs, admission counts, stored hashes; one writer at a time.</summary>
    private sealed class RunState : IDisposable
    {
        private readonly CrawlService _service;
        private readonly Crawl _crawl;
        private readonly CrawlSettings _settings;
        private readonly long _jobRunId;
        private readonly JobProgress _progress;
        private readonly HostPoliteness _politeness;
        private readonly SemaphoreSlim _writer = new(1, 1);
        private readonly HashSet<string> _known = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, long> _shaToImage = new(StringComparer.Ordinal);
        private readonly List<(long Id, ulong Hash)> _canonical = [];
        private readonly Dictionary<(CrawlUrlKind, CrawlUrlStatus), int> _counts = [];
        private int _admittedPages, _admittedImages;

        private RunState(CrawlService service, Crawl crawl, CrawlSettings settings, long jobRunId, JobProgress progress)
        {
            _service = service;
            _crawl = crawl;
            _settings = settings;
            _jobRunId = jobRunId;
            _progress = progress;
            _politeness = new HostPoliteness(service._options, service.Clock);
        }

        private CrawlerOptions Options => _service._options;

        public static async Task<RunState> LoadAsync(CrawlService service, Crawl crawl, CrawlSettings settings, long jobRunId, JobProgress progress, CancellationToken cancellationToken)
        {
            var state = new RunState(service, crawl, settings, jobRunId, progress);
            await using var db = await service.Contexts.CreateDbContextAsync(cancellationToken);
            await foreach (var row in db.CrawlUrls.AsNoTracking().Where(u => u.CrawlId == crawl.Id).Select(u => new { u.Kind, u.Url, u.Status }).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                state._known.Add(Key(row.Kind, row.Url));
                state.Count(row.Kind, row.Status, +1);
                if (row.Status != CrawlUrlStatus.Skipped)
                {
                    _ = row.Kind == CrawlUrlKind.Page ? state._admittedPages++ : state._admittedImages++;
                }
            }

            await foreach (var image in db.Images.AsNoTracking().Where(i => i.DatasetId == crawl.DatasetId).Select(i => new { i.Id, i.Sha256, i.PerceptualHash, i.NearDuplicateOfId }).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                state._shaToImage[image.Sha256] = image.Id;
                if (image.PerceptualHash is { } hash && image.NearDuplicateOfId is null)
                {
                    state._canonical.Add((image.Id, unchecked((ulong)hash)));
                }
            }

            return state;
        }

        private static string Key(CrawlUrlKind kind, string url) => $"{(int)kind}|{url}";

        private void Count(CrawlUrlKind kind, CrawlUrlStatus status, int delta)
        {
            lock (_counts)
            {
                _counts[(kind, status)] = (_counts.TryGetValue((kind, status), out var n) ? n : 0) + delta;
            }
        }

        public async Task SeedAsync(CancellationToken cancellationToken)
        {
            await _writer.WaitAsync(cancellationToken);
            try
            {
                await using var db = await _service.Contexts.CreateDbContextAsync(cancellationToken);
                foreach (var seed in _settings.Seeds.Select(s => new Uri(s)))
                {
                    Admit(db, CrawlUrlKind.Page, seed, 0, null, null, null);
                }

                await db.SaveChangesAsync(cancellationToken);
            }
            finally
            {
                _writer.Release();
            }
        }

        public async Task ReportAsync(bool force, CancellationToken cancellationToken)
        {
            CrawlCounts counts;
            lock (_counts)
            {
                counts = CrawlCounts.From(_counts);
            }

            var admitted = _admittedPages + _admittedImages;
            var done = admitted - counts.Queued;
            _progress.SetTotal(admitted);
            _progress.SetCounts(done, counts.Accepted, counts.Duplicates + counts.NearDuplicates, counts.Rejected + counts.Failed + counts.Blocked);
            _progress.SetMessage($"{counts.Pages:N0} pages fetched, {counts.QueuedPages:N0} pages and {counts.QueuedImages:N0} images queued; images: {counts.Accepted:N0} accepted, {counts.Duplicates:N0} duplicates, {counts.NearDuplicates:N0} near duplicates, {counts.Rejected:N0} rejected");
            await _progress.FlushAsync(force, cancellationToken);
        }

        private bool InScope(Uri url)
        {
            var host = url.IdnHost.ToLowerInvariant();
            return _settings.AllowedDomains.Any(d => host == d || host.EndsWith("." + d, StringComparison.Ordinal));
        }

        /// <summary>Adds a found URL to the frontier unless known; out of scope or over a limit, it is recorded as skipped.</summary>
        private void Admit(PlatformDbContext db, CrawlUrlKind kind, Uri url, int depth, string? foundOn, string? alt, string? title)
        {
            var text = url.AbsoluteUri;
            if (!_known.Add(Key(kind, text)))
            {
                return;
            }

            string? skipped = null;
            if (!InScope(url))
            {
                skipped = $"out of scope: {url.IdnHost} is not among the allowed domains ({string.Join(", ", _settings.AllowedDomains)})";
            }
            else if (kind == CrawlUrlKind.Page && depth > _settings.MaxDepth)
            {
                skipped = $"deeper than the maximum depth {_settings.MaxDepth}";
            }
            else if (kind == CrawlUrlKind.Page && _admittedPages >= _settings.MaxPages)
            {
                skipped = $"over the page limit ({_settings.MaxPages:N0})";
            }
            else if (kind == CrawlUrlKind.Image && _admittedImages >= _settings.MaxImages)
            {
                skipped = $"over the image limit ({_settings.MaxImages:N0})";
            }

            if (skipped is null)
            {
                _ = kind == CrawlUrlKind.Page ? _admittedPages++ : _admittedImages++;
            }

            var status = skipped is null ? CrawlUrlStatus.Queued : CrawlUrlStatus.Skipped;
            Count(kind, status, +1);
            db.CrawlUrls.Add(new CrawlUrl
            {
                CrawlId = _crawl.Id,
                Kind = kind,
                Url = text,
                Host = UrlNormalizer.Authority(url),
                Depth = depth,
                Status = status,
                Reason = skipped,
                FoundOn = foundOn,
                AltText = alt,
                PageTitle = title is null ? null : Clip(title, 500),
                CreatedAt = _service.Clock.GetUtcNow(),
            });
        }

        /// <summary>
        /// Fetches and records one frontier entry. <paramref name="claimToken"/> stops it before it claims the URL (pause,
        /// cancel); once claimed, only <paramref name="cancellationToken"/> (shutdown, lost lease) cuts it off.
        /// </summary>
        public async Task ProcessAsync(CrawlUrl entry, CancellationToken claimToken, CancellationToken cancellationToken)
        {
            var url = new Uri(entry.Url);
            using (await _politeness.EnterAsync(UrlNormalizer.Authority(url), claimToken))
            {
                claimToken.ThrowIfCancellationRequested();
                if (!await _service.ClaimAsync(entry.Id, cancellationToken))
                {
                    // Another execution of this run took it (a requeued job overlapping a slow one).
                    return;
                }

                var requestSent = false;
                try
                {
                    await ProcessClaimedAsync(entry, url, () => requestSent = true, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    await _service.ReleaseClaimAsync(entry.Id, requestSent);
                    if (requestSent)
                    {
                        Count(entry.Kind, CrawlUrlStatus.Queued, -1);
                        Count(entry.Kind, CrawlUrlStatus.Failed, +1);
                    }

                    throw;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One URL's unexpected failure (a host name the resolver refuses, a row another job stored first)
                    // is that URL's outcome, not the end of the crawl.
                    _service.Logger.LogWarning(ex, "Crawl {CrawlId}: {Url} failed unexpectedly", _crawl.Id, entry.Url);
                    await FinishAsync(entry, CrawlUrlStatus.Failed, $"could not be processed: {ex.GetType().Name}: {ex.Message}", null, 0, cancellationToken);
                }
            }
        }

        private async Task ProcessClaimedAsync(CrawlUrl entry, Uri url, Action onRequest, CancellationToken cancellationToken)
        {
            var authority = UrlNormalizer.Authority(url);
            var token = Options.RobotsProductToken;
            Task BeforeRequest(Uri target, CancellationToken ct) => _politeness.WaitTurnAsync(UrlNormalizer.Authority(target), ct);
            async Task BeforeOwnRequest(Uri target, CancellationToken ct)
            {
                await BeforeRequest(target, ct);
                // From here the site may see the request: a cut-off now counts as interrupted, never as not sent.
                onRequest();
            }

            // The SSRF guard first: a refused host gets no robots.txt request either.
            var (refusal, unresolved) = await ResolveAsync(url.IdnHost, cancellationToken);
            if (refusal is not null)
            {
                // A name that does not resolve is a failed fetch (perhaps a passing DNS fault), not a guard refusal.
                await FinishAsync(entry, unresolved ? CrawlUrlStatus.Failed : CrawlUrlStatus.Blocked, unresolved ? refusal : $"blocked before connecting: {refusal}", null, 0, cancellationToken);
                return;
            }

            var rules = await _service.Robots.GetAsync(url, BeforeRequest, cancellationToken);
            _politeness.SetCrawlDelay(authority, rules.CrawlDelay(token));
            var decision = rules.Check(token, url.PathAndQuery);
            if (!decision.Allowed)
            {
                await FinishAsync(entry, CrawlUrlStatus.Disallowed, decision.Reason, null, 0, cancellationToken);
                return;
            }

            async Task<FetchResult?> CheckHop(Uri hop, CancellationToken ct)
            {
                if (!InScope(hop))
                {
                    return new FetchResult(FetchStatus.OutOfScope, hop, null, null, null, $"redirect out of scope to {hop.IdnHost}", 1);
                }

                var hopRules = await _service.Robots.GetAsync(hop, BeforeRequest, ct);
                var hopDecision = hopRules.Check(token, hop.PathAndQuery);
                return hopDecision.Allowed ? null : new FetchResult(FetchStatus.Disallowed, hop, null, null, null, $"redirect to {hop.AbsoluteUri}: {hopDecision.Reason}", 1);
            }

            var kind = entry.Kind == CrawlUrlKind.Page ? FetchKind.Page : FetchKind.Image;
            var result = await _service.Fetcher.FetchAsync(url, kind, CheckHop, BeforeOwnRequest, cancellationToken);
            var retries = Math.Max(0, result.Attempts - 1);
            if (!result.Ok)
            {
                var status = result.Status switch
                {
                    FetchStatus.Blocked => CrawlUrlStatus.Blocked,
                    FetchStatus.Disallowed => CrawlUrlStatus.Disallowed,
                    FetchStatus.OutOfScope => CrawlUrlStatus.Skipped,
                    FetchStatus.WrongContentType or FetchStatus.TooLarge when entry.Kind == CrawlUrlKind.Image => CrawlUrlStatus.Rejected,
                    FetchStatus.WrongContentType => CrawlUrlStatus.Skipped,
                    _ => CrawlUrlStatus.Failed,
                };
                await FinishAsync(entry, status, result.Reason, result.HttpStatus, retries, cancellationToken);
                return;
            }

            if (entry.Kind == CrawlUrlKind.Page)
            {
                await PageAsync(entry, result, retries, cancellationToken);
            }
            else
            {
                await ImageAsync(entry, result, decision, retries, cancellationToken);
            }
        }

        /// <summary>Null when the guard lets the host through; else why not, and whether the name did not resolve at all.</summary>
        private async Task<(string? Refusal, bool Unresolved)> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            try
            {
                return ((await _service.Guard.ResolveAsync(host, cancellationToken)).Refusal, false);
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                return ($"host name does not resolve: {host} ({ex.SocketErrorCode})", true);
            }
        }

        private async Task PageAsync(CrawlUrl entry, FetchResult result, int retries, CancellationToken cancellationToken)
        {
            var (html, _, _) = HtmlDecoding.Decode(result.Body!, result.Charset);
            var extract = await Task.Run(() => HtmlExtractor.Extract(html, result.FinalUrl, Options.MaxHtmlTokens, cancellationToken), cancellationToken);
            await _writer.WaitAsync(cancellationToken);
            try
            {
                await using var db = await _service.Contexts.CreateDbContextAsync(cancellationToken);
                if (result.FinalUrl.AbsoluteUri != entry.Url && UrlNormalizer.Normalize(result.FinalUrl.AbsoluteUri, null) is { } landed)
                {
                    // The page a redirect landed on is fetched now: a link to it (often its own) must not fetch it again.
                    _known.Add(Key(CrawlUrlKind.Page, landed.AbsoluteUri));
                }

                foreach (var link in extract.Links)
                {
                    Admit(db, CrawlUrlKind.Page, link, entry.Depth + 1, entry.Url, null, null);
                }

                foreach (var image in extract.Images)
                {
                    Admit(db, CrawlUrlKind.Image, image.Url, entry.Depth + 1, entry.Url, image.Alt, extract.Title);
                }

                var reason = extract.Truncated ? $"only the first {Options.MaxHtmlTokens:N0} HTML tokens were read" : null;
                if (result.FinalUrl.AbsoluteUri != entry.Url)
                {
                    reason = $"redirected to {result.FinalUrl.AbsoluteUri}" + (reason is null ? "" : "; " + reason);
                }

                await UpdateAsync(db, entry, CrawlUrlStatus.Fetched, reason, result.HttpStatus, retries, null, extract.Title, cancellationToken);
            }
            finally
            {
                _writer.Release();
            }
        }

        private async Task ImageAsync(CrawlUrl entry, FetchResult result, RobotsDecision robotsDecision, int retries, CancellationToken cancellationToken)
        {
            var bytes = result.Body!;
            var sha = ImageValidator.Sha256Hex(bytes);
            if (_shaToImage.TryGetValue(sha, out var existing))
            {
                await FinishAsync(entry, CrawlUrlStatus.Duplicate, $"same bytes as image {existing}", result.HttpStatus, retries, cancellationToken, existing);
                return;
            }

            var check = await Task.Run(() => _service.Validator.Check(bytes, sha), cancellationToken);
            if (!check.Accepted)
            {
                await RejectAsync(entry, $"served as {result.ContentType}, but {check.RejectionReason}", bytes.Length, sha, result.HttpStatus, retries, cancellationToken);
                return;
            }

            var image = check.Image!;
            var declared = result.ContentType is "image/jpg" or "image/pjpeg" ? "image/jpeg" : result.ContentType;
            if (declared != ImageStore.ContentType(image.Format))
            {
                await RejectAsync(entry, $"Content-Type {result.ContentType} disagrees with the content ({image.Format})", bytes.Length, sha, result.HttpStatus, retries, cancellationToken);
                return;
            }

            if (image.Width < Options.MinImageSide || image.Height < Options.MinImageSide)
            {
                await RejectAsync(entry, $"{image.Width}x{image.Height} is under the {Options.MinImageSide} px minimum side (icon or spacer)", bytes.Length, sha, result.HttpStatus, retries, cancellationToken);
                return;
            }

            var hash = PerceptualHash.DHash(image.Thumbnail, _service.Validator.DecoderConfiguration);
            await _service.Store.SaveAsync(image, bytes, cancellationToken);
            await _writer.WaitAsync(cancellationToken);
            try
            {
                await using var db = await _service.Contexts.CreateDbContextAsync(cancellationToken);
                if (_shaToImage.TryGetValue(sha, out existing))
                {
                    // Another URL with the same bytes was stored while this one was being checked.
                    await UpdateAsync(db, entry, CrawlUrlStatus.Duplicate, $"same bytes as image {existing}", result.HttpStatus, retries, existing, null, cancellationToken);
                    return;
                }

                var nearest = _canonical.Select(c => (c.Id, Distance: PerceptualHash.Distance(c.Hash, hash))).Where(c => c.Distance <= Options.NearDuplicateDistance)
                    .OrderBy(c => c.Distance).ThenBy(c => c.Id).Select(c => ((long Id, int Distance)?)c).FirstOrDefault();
                var now = _service.Clock.GetUtcNow();
                var row = DatasetImage.From(image, _crawl.DatasetId, ImageSource.Crawl, entry.Url, _jobRunId, now);
                row.PerceptualHash = unchecked((long)hash);
                row.NearDuplicateOfId = nearest?.Id;
                // The image, its provenance, the cleared refusal and the URL's outcome commit together (and, the
                // fetch having happened, even when a pause arrives now): never an image without its provenance.
                await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
                db.Images.Add(row);
                await db.SaveChangesAsync(CancellationToken.None);
                db.ImageProvenance.Add(new ImageProvenance
                {
                    ImageId = row.Id,
                    CrawlId = _crawl.Id,
                    JobRunId = _jobRunId,
                    PageUrl = entry.FoundOn ?? entry.Url,
                    ImageUrl = entry.Url,
                    SourceHost = entry.Host,
                    AltText = entry.AltText,
                    PageTitle = entry.PageTitle,
                    RobotsDecision = Clip(robotsDecision.Reason, 1000),
                    FetchedAt = now,
                });
                await db.RejectedFiles.Where(r => r.DatasetId == _crawl.DatasetId && r.Origin == entry.Url).ExecuteDeleteAsync(CancellationToken.None);
                var status = nearest is null ? CrawlUrlStatus.Accepted : CrawlUrlStatus.NearDuplicate;
                var reason = nearest is { } n ? $"near duplicate of image {n.Id} (dHash distance {n.Distance})" : null;
                await UpdateAsync(db, entry, status, reason, result.HttpStatus, retries, row.Id, null, cancellationToken);
                await tx.CommitAsync(CancellationToken.None);
                _shaToImage[sha] = row.Id;
                if (nearest is null)
                {
                    _canonical.Add((row.Id, hash));
                }
            }
            finally
            {
                _writer.Release();
            }
        }

        private async Task RejectAsync(CrawlUrl entry, string reason, long bytes, string sha, int? httpStatus, int retries, CancellationToken cancellationToken)
        {
            await _writer.WaitAsync(cancellationToken);
            try
            {
                await using var db = await _service.Contexts.CreateDbContextAsync(cancellationToken);
                // Same record as an import's refused file: one row per origin, the latest reason.
                await db.RejectedFiles.Where(r => r.DatasetId == _crawl.DatasetId && r.Origin == entry.Url).ExecuteDeleteAsync(cancellationToken);
                db.RejectedFiles.Add(new RejectedFile
                {
                    DatasetId = _crawl.DatasetId,
                    Origin = entry.Url,
                    Reason = Clip(reason, 1000),
                    Bytes = bytes,
                    Sha256 = sha,
                    JobRunId = _jobRunId,
                    CreatedAt = _service.Clock.GetUtcNow(),
                });
                await UpdateAsync(db, entry, CrawlUrlStatus.Rejected, reason, httpStatus, retries, null, null, cancellationToken);
            }
            finally
            {
                _writer.Release();
            }
        }

        private async Task FinishAsync(CrawlUrl entry, CrawlUrlStatus status, string? reason, int? httpStatus, int retries, CancellationToken cancellationToken, long? imageId = null)
        {
            await _writer.WaitAsync(cancellationToken);
            try
            {
                await using var db = await _service.Contexts.CreateDbContextAsync(cancellationToken);
                await UpdateAsync(db, entry, status, reason, httpStatus, retries, imageId, null, cancellationToken);
            }
            finally
            {
                _writer.Release();
            }
        }

        /// <summary>Records the entry's outcome with whatever else <paramref name="db"/> holds, in one transaction. Caller holds the writer.</summary>
        private async Task UpdateAsync(PlatformDbContext db, CrawlUrl entry, CrawlUrlStatus status, string? reason, int? httpStatus, int retries, long? imageId, string? title, CancellationToken cancellationToken)
        {
            var tracked = new CrawlUrl { Id = entry.Id, Url = entry.Url, Host = entry.Host };
            db.CrawlUrls.Attach(tracked);
            tracked.Status = status;
            tracked.Reason = reason is null ? null : Clip(reason, 1000);
            tracked.HttpStatus = httpStatus;
            tracked.Retries = entry.Retries + retries;
            tracked.FetchedAt = _service.Clock.GetUtcNow();
            tracked.ImageId = imageId;
            if (title is not null)
            {
                tracked.PageTitle = Clip(title, 500);
            }

            // Not cancellable: the fetch happened, so its outcome must be kept even when a pause arrives now.
            await db.SaveChangesAsync(CancellationToken.None);
            Count(entry.Kind, CrawlUrlStatus.Queued, -1);
            Count(entry.Kind, status, +1);
            if (status is CrawlUrlStatus.Failed or CrawlUrlStatus.Blocked)
            {
                _service.Logger.LogInformation("Crawl {CrawlId}: {Url} {Status}: {Reason}", _crawl.Id, entry.Url, status, reason);
            }
        }

        public void Dispose()
        {
            _politeness.Dispose();
            _writer.Dispose();
        }
    }
}
