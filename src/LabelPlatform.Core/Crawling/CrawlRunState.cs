using System.Collections.Concurrent;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Crawling;

/// <summary>What one run keeps in memory: known URLs, admission counts, stored hashes, host politeness; one writer at a time.</summary>
internal sealed class CrawlRunState : IDisposable
{
    private readonly IDbContextFactory<PlatformDbContext> _contexts;
    private readonly TimeProvider _clock;
    private readonly CrawlSettings _settings;
    private readonly JobProgress? _progress;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<(CrawlUrlKind, CrawlUrlStatus), int> _counts = [];
    private int _admittedPages, _admittedImages;

    private CrawlRunState(IDbContextFactory<PlatformDbContext> contexts, CrawlerOptions options, TimeProvider clock, Crawl crawl, CrawlSettings settings, long jobRunId, JobProgress? progress)
    {
        _contexts = contexts;
        _clock = clock;
        Crawl = crawl;
        _settings = settings;
        JobRunId = jobRunId;
        _progress = progress;
        Politeness = new HostPoliteness(options, clock);
    }

    public Crawl Crawl { get; }
    public long JobRunId { get; }
    public HostPoliteness Politeness { get; }

    /// <summary>The run's one writer: SQLite takes one at a time, and admission counts need one too.</summary>
    public SemaphoreSlim Writer { get; } = new(1, 1);

    /// <summary>The dataset's images by SHA-256: a URL with bytes already held is a duplicate.</summary>
    public ConcurrentDictionary<string, long> ShaToImage { get; } = new(StringComparer.Ordinal);

    /// <summary>The dataset's images that are not near duplicates themselves, with their dHash. Touched under the writer.</summary>
    public List<(long Id, ulong Hash)> Canonical { get; } = [];

    public static async Task<CrawlRunState> LoadAsync(IDbContextFactory<PlatformDbContext> contexts, CrawlerOptions options, TimeProvider clock, Crawl crawl, CrawlSettings settings,
        long jobRunId, JobProgress? progress, CancellationToken cancellationToken)
    {
        var state = new CrawlRunState(contexts, options, clock, crawl, settings, jobRunId, progress);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
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
            state.ShaToImage[image.Sha256] = image.Id;
            if (image.PerceptualHash is { } hash && image.NearDuplicateOfId is null)
            {
                state.Canonical.Add((image.Id, unchecked((ulong)hash)));
            }
        }

        return state;
    }

    private static string Key(CrawlUrlKind kind, string url) => $"{(int)kind}|{url}";

    /// <summary>Marks a URL as known without admitting it (the page a redirect landed on, fetched already).</summary>
    public void MarkKnown(CrawlUrlKind kind, string url) => _known.Add(Key(kind, url));

    public void Count(CrawlUrlKind kind, CrawlUrlStatus status, int delta)
    {
        lock (_counts)
        {
            _counts[(kind, status)] = (_counts.TryGetValue((kind, status), out var n) ? n : 0) + delta;
        }
    }

    /// <summary>Runs <paramref name="write"/> as the run's one writer (SQLite takes one writer; admission counts need one too).</summary>
    public async Task WriteAsync(Func<Task> write, CancellationToken cancellationToken)
    {
        await Writer.WaitAsync(cancellationToken);
        try
        {
            await write();
        }
        finally
        {
            Writer.Release();
        }
    }

    public Task SeedAsync(CancellationToken cancellationToken) => WriteAsync(async () =>
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        foreach (var seed in _settings.Seeds.Select(s => new Uri(s)))
        {
            Admit(db, CrawlUrlKind.Page, seed, 0, null, null, null);
        }

        await db.SaveChangesAsync(cancellationToken);
    }, cancellationToken);

    /// <summary>
    /// Reads the frontier's totals and admissions again: other fetchers of the crawl (other processes, other
    /// machines) decide URLs too, and the run's progress and limits are the crawl's. Caller holds the writer.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
        var rows = await CrawlFrontier.CountRowsAsync(db, Crawl.Id, cancellationToken);
        lock (_counts)
        {
            _counts.Clear();
            foreach (var (key, n) in rows)
            {
                _counts[key] = n;
            }
        }

        SetAdmitted(rows);
    }

    /// <summary>The admission counts from the frontier (see <see cref="RefreshAsync"/>). Caller holds the writer.</summary>
    public async Task RefreshAdmittedAsync(PlatformDbContext db, CancellationToken cancellationToken) =>
        SetAdmitted(await CrawlFrontier.CountRowsAsync(db, Crawl.Id, cancellationToken));

    private void SetAdmitted(Dictionary<(CrawlUrlKind Kind, CrawlUrlStatus Status), int> rows)
    {
        _admittedPages = rows.Where(r => r.Key.Kind == CrawlUrlKind.Page && r.Key.Status != CrawlUrlStatus.Skipped).Sum(r => r.Value);
        _admittedImages = rows.Where(r => r.Key.Kind == CrawlUrlKind.Image && r.Key.Status != CrawlUrlStatus.Skipped).Sum(r => r.Value);
    }

    /// <summary>
    /// Takes back the found URLs of <paramref name="db"/> that another fetcher has stored already (its own copy
    /// stands), so the save does not break on the frontier's unique index. Caller holds the writer.
    /// </summary>
    public async Task DropStoredAsync(PlatformDbContext db, CancellationToken cancellationToken)
    {
        var added = db.ChangeTracker.Entries<CrawlUrl>().Where(e => e.State == EntityState.Added).ToList();
        if (added.Count == 0)
        {
            return;
        }

        var urls = added.Select(e => e.Entity.Url).Distinct().ToList();
        var stored = (await db.CrawlUrls.AsNoTracking().Where(u => u.CrawlId == Crawl.Id && urls.Contains(u.Url)).Select(u => new { u.Kind, u.Url }).ToListAsync(cancellationToken))
            .Select(u => (u.Kind, u.Url)).ToHashSet();
        foreach (var e in added.Where(e => stored.Contains((e.Entity.Kind, e.Entity.Url))))
        {
            e.State = EntityState.Detached;
            Count(e.Entity.Kind, e.Entity.Status, -1);
            if (e.Entity.Status != CrawlUrlStatus.Skipped)
            {
                _ = e.Entity.Kind == CrawlUrlKind.Page ? _admittedPages-- : _admittedImages--;
            }
        }
    }

    public async Task ReportAsync(bool force, CancellationToken cancellationToken)
    {
        if (_progress is null)
        {
            // A helper fetcher: the run's own loop reports the crawl's progress.
            return;
        }

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

    public bool InScope(Uri url)
    {
        var host = url.IdnHost.ToLowerInvariant();
        return _settings.AllowedDomains.Any(d => host == d || host.EndsWith("." + d, StringComparison.Ordinal));
    }

    /// <summary>Adds a found URL to the frontier unless known; out of scope or over a limit, it is recorded as skipped. Caller holds the writer.</summary>
    public void Admit(PlatformDbContext db, CrawlUrlKind kind, Uri url, int depth, string? foundOn, string? alt, string? title)
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
            CrawlId = Crawl.Id,
            Kind = kind,
            Url = text,
            Host = UrlNormalizer.Authority(url),
            Depth = depth,
            Status = status,
            Reason = skipped,
            FoundOn = foundOn,
            AltText = alt,
            PageTitle = title is null ? null : CrawlText.Clip(title, 500),
            CreatedAt = _clock.GetUtcNow(),
        });
    }

    public void Dispose()
    {
        Politeness.Dispose();
        Writer.Dispose();
    }
}
