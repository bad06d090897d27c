using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Core.Crawling;

/// <summary>
/// Fetches one frontier entry of a run and records its outcome: robots.txt and the SSRF guard first, then the page's
/// links and images into the frontier, or the image through the shared ingest step with its provenance.
/// </summary>
internal sealed class CrawlUrlProcessor(
    CrawlRunState state,
    IDbContextFactory<PlatformDbContext> contexts,
    CrawlFrontier frontier,
    CrawlHostTurns turns,
    GuardedFetcher fetcher,
    RobotsCache robots,
    NetworkGuard guard,
    ImageIngest ingest,
    CrawlerOptions options,
    TimeProvider clock,
    ILogger logger)
{
    private readonly CrawlRunState _state = state;
    private readonly IDbContextFactory<PlatformDbContext> _contexts = contexts;
    private readonly CrawlFrontier _frontier = frontier;
    private readonly CrawlHostTurns _turns = turns;
    private readonly GuardedFetcher _fetcher = fetcher;
    private readonly RobotsCache _robots = robots;
    private readonly NetworkGuard _guard = guard;
    private readonly ImageIngest _ingest = ingest;
    private readonly CrawlerOptions _options = options;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _logger = logger;

    /// <summary>This fetcher's name on its claims (unique per run of a fetch loop, on any machine).</summary>
    public string Owner { get; } = CrawlText.Clip($"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}", 64);

    /// <summary>
    /// Fetches and records one frontier entry. <paramref name="claimToken"/> stops it before it claims the URL (pause,
    /// cancel); once claimed, only <paramref name="cancellationToken"/> (shutdown, lost lease) cuts it off.
    /// True when this fetcher claimed it (and so fetched it).
    /// </summary>
    public async Task<bool> ProcessAsync(CrawlUrl entry, CancellationToken claimToken, CancellationToken cancellationToken)
    {
        var url = new Uri(entry.Url);
        using (await _state.Politeness.EnterAsync(UrlNormalizer.Authority(url), claimToken))
        {
            claimToken.ThrowIfCancellationRequested();
            if (!await _frontier.ClaimAsync(entry.Id, Owner, cancellationToken))
            {
                // Another fetcher took it (a fetcher on another worker, or a requeued job overlapping a slow one).
                return false;
            }

            var requestSent = false;
            try
            {
                await ProcessClaimedAsync(entry, url, () => requestSent = true, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await _frontier.ReleaseClaimAsync(entry.Id, requestSent);
                if (requestSent)
                {
                    _state.Count(entry.Kind, CrawlUrlStatus.Queued, -1);
                    _state.Count(entry.Kind, CrawlUrlStatus.Failed, +1);
                }

                throw;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One URL's unexpected failure (a host name the resolver refuses, a row another job stored first)
                // is that URL's outcome, not the end of the crawl.
                _logger.LogWarning(ex, "Crawl {CrawlId}: {Url} failed unexpectedly", _state.Crawl.Id, entry.Url);
                await FinishAsync(entry, CrawlUrlStatus.Failed, $"could not be processed: {ex.GetType().Name}: {ex.Message}", null, 0, cancellationToken);
            }

            return true;
        }
    }

    private async Task ProcessClaimedAsync(CrawlUrl entry, Uri url, Action onRequest, CancellationToken cancellationToken)
    {
        var authority = UrlNormalizer.Authority(url);
        var token = _options.RobotsProductToken;
        string? asked = null;
        async Task BeforeRequest(Uri target, CancellationToken ct)
        {
            var host = asked = UrlNormalizer.Authority(target);
            // In-process turn first (no round trip while this fetcher alone waits), then the crawl-wide one in the database.
            await _state.Politeness.WaitTurnAsync(host, ct);
            await _turns.TakeAsync(_state.Crawl.Id, host, _state.Politeness.DelayOf(host), ct);
        }

        async Task AnsweredAsync()
        {
            if (Interlocked.Exchange(ref asked, null) is { } host)
            {
                await _turns.AnsweredAsync(_state.Crawl.Id, host, _state.Politeness.DelayOf(host), CancellationToken.None);
            }
        }

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

        var rules = await _robots.GetAsync(url, BeforeRequest, cancellationToken);
        await AnsweredAsync();
        _state.Politeness.SetCrawlDelay(authority, rules.CrawlDelay(token));
        var decision = rules.Check(token, url.PathAndQuery);
        if (!decision.Allowed)
        {
            await FinishAsync(entry, CrawlUrlStatus.Disallowed, decision.Reason, null, 0, cancellationToken);
            return;
        }

        async Task<FetchResult?> CheckHop(Uri hop, CancellationToken ct)
        {
            if (!_state.InScope(hop))
            {
                return new FetchResult(FetchStatus.OutOfScope, hop, null, null, null, $"redirect out of scope to {hop.IdnHost}", 1);
            }

            var hopRules = await _robots.GetAsync(hop, BeforeRequest, ct);
            var hopDecision = hopRules.Check(token, hop.PathAndQuery);
            return hopDecision.Allowed ? null : new FetchResult(FetchStatus.Disallowed, hop, null, null, null, $"redirect to {hop.AbsoluteUri}: {hopDecision.Reason}", 1);
        }

        var kind = entry.Kind == CrawlUrlKind.Page ? FetchKind.Page : FetchKind.Image;
        FetchResult result;
        try
        {
            result = await _fetcher.FetchAsync(url, kind, CheckHop, BeforeOwnRequest, cancellationToken);
        }
        finally
        {
            await AnsweredAsync();
        }

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
            return ((await _guard.ResolveAsync(host, cancellationToken)).Refusal, false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            return ($"host name does not resolve: {host} ({ex.SocketErrorCode})", true);
        }
    }

    private async Task PageAsync(CrawlUrl entry, FetchResult result, int retries, CancellationToken cancellationToken)
    {
        var (html, _, _) = HtmlDecoding.Decode(result.Body!, result.Charset);
        var extract = await Task.Run(() => HtmlExtractor.Extract(html, result.FinalUrl, _options.MaxHtmlTokens, cancellationToken), cancellationToken);
        await _state.Writer.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            // Other fetchers admit URLs too: the limits count the crawl's frontier, not this fetcher's share.
            await _state.RefreshAdmittedAsync(db, cancellationToken);
            if (result.FinalUrl.AbsoluteUri != entry.Url && UrlNormalizer.Normalize(result.FinalUrl.AbsoluteUri, null) is { } landed)
            {
                // The page a redirect landed on is fetched now: a link to it (often its own) must not fetch it again.
                _state.MarkKnown(CrawlUrlKind.Page, landed.AbsoluteUri);
            }

            foreach (var link in extract.Links)
            {
                _state.Admit(db, CrawlUrlKind.Page, link, entry.Depth + 1, entry.Url, null, null);
            }

            foreach (var image in extract.Images)
            {
                _state.Admit(db, CrawlUrlKind.Image, image.Url, entry.Depth + 1, entry.Url, image.Alt, extract.Title);
            }

            var reason = extract.Truncated ? $"only the first {_options.MaxHtmlTokens:N0} HTML tokens were read" : null;
            if (result.FinalUrl.AbsoluteUri != entry.Url)
            {
                reason = $"redirected to {result.FinalUrl.AbsoluteUri}" + (reason is null ? "" : "; " + reason);
            }

            await _state.DropStoredAsync(db, cancellationToken);
            try
            {
                await UpdateAsync(db, entry, CrawlUrlStatus.Fetched, reason, result.HttpStatus, retries, null, extract.Title, cancellationToken);
            }
            catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
            {
                // Another fetcher stored one of these links between the check and the save: once more without it.
                var found = db.ChangeTracker.Entries<CrawlUrl>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
                await using var again = await _contexts.CreateDbContextAsync(cancellationToken);
                foreach (var row in found)
                {
                    row.Id = 0;
                    again.CrawlUrls.Add(row);
                }

                await _state.DropStoredAsync(again, cancellationToken);
                await UpdateAsync(again, entry, CrawlUrlStatus.Fetched, reason, result.HttpStatus, retries, null, extract.Title, cancellationToken);
            }
        }
        finally
        {
            _state.Writer.Release();
        }
    }

    private async Task ImageAsync(CrawlUrl entry, FetchResult result, RobotsDecision robotsDecision, int retries, CancellationToken cancellationToken)
    {
        var bytes = result.Body!;
        string? Rule(ValidatedImage image)
        {
            var declared = result.ContentType is "image/jpg" or "image/pjpeg" ? "image/jpeg" : result.ContentType;
            if (declared != ImageStore.ContentType(image.Format))
            {
                return $"Content-Type {result.ContentType} disagrees with the content ({image.Format})";
            }

            return image.Width < _options.MinImageSide || image.Height < _options.MinImageSide
                ? $"{image.Width}x{image.Height} is under the {_options.MinImageSide} px minimum side (icon or spacer)"
                : null;
        }

        var outcome = await Task.Run(() => _ingest.CheckAndStoreAsync(bytes, _state.ShaToImage.ContainsKey, Rule, cancellationToken), cancellationToken);
        var sha = outcome.Sha256;
        switch (outcome.Result)
        {
            case IngestResult.Known:
                await FinishAsync(entry, CrawlUrlStatus.Duplicate, $"same bytes as image {_state.ShaToImage[sha]}", result.HttpStatus, retries, cancellationToken, _state.ShaToImage[sha]);
                return;
            case IngestResult.Invalid:
                await RejectAsync(entry, $"served as {result.ContentType}, but {outcome.RejectionReason}", bytes.Length, sha, result.HttpStatus, retries, cancellationToken);
                return;
            case IngestResult.Refused:
                await RejectAsync(entry, outcome.RejectionReason!, bytes.Length, sha, result.HttpStatus, retries, cancellationToken);
                return;
        }

        var image = outcome.Image!;
        var hash = PerceptualHash.DHash(image.Thumbnail, _ingest.Validator.DecoderConfiguration);
        await _state.Writer.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            if (_state.ShaToImage.TryGetValue(sha, out var existing))
            {
                // Another URL with the same bytes was stored while this one was being checked.
                await UpdateAsync(db, entry, CrawlUrlStatus.Duplicate, $"same bytes as image {existing}", result.HttpStatus, retries, existing, null, cancellationToken);
                return;
            }

            var nearest = _state.Canonical.Select(c => (c.Id, Distance: PerceptualHash.Distance(c.Hash, hash))).Where(c => c.Distance <= _options.NearDuplicateDistance)
                .OrderBy(c => c.Distance).ThenBy(c => c.Id).Select(c => ((long Id, int Distance)?)c).FirstOrDefault();
            var now = _clock.GetUtcNow();
            var row = ImageIngest.Row(image, _state.Crawl.DatasetId, ImageSource.Crawl, entry.Url, _state.JobRunId, now);
            row.PerceptualHash = unchecked((long)hash);
            row.NearDuplicateOfId = nearest?.Id;
            // The image, its provenance, the cleared refusal and the URL's outcome commit together (and, the
            // fetch having happened, even when a pause arrives now): never an image without its provenance.
            await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
            db.Images.Add(row);
            try
            {
                await db.SaveChangesAsync(CancellationToken.None);
            }
            catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
            {
                // Another fetcher of this crawl stored the same bytes first: this URL is its duplicate.
                await tx.RollbackAsync(CancellationToken.None);
                await using var fresh = await _contexts.CreateDbContextAsync(CancellationToken.None);
                var first = await fresh.Images.Where(i => i.DatasetId == _state.Crawl.DatasetId && i.Sha256 == sha).Select(i => i.Id).FirstAsync(CancellationToken.None);
                _state.ShaToImage[sha] = first;
                await UpdateAsync(fresh, entry, CrawlUrlStatus.Duplicate, $"same bytes as image {first}", result.HttpStatus, retries, first, null, cancellationToken);
                return;
            }

            db.ImageProvenance.Add(new ImageProvenance
            {
                ImageId = row.Id,
                CrawlId = _state.Crawl.Id,
                JobRunId = _state.JobRunId,
                PageUrl = entry.FoundOn ?? entry.Url,
                ImageUrl = entry.Url,
                SourceHost = entry.Host,
                AltText = entry.AltText,
                PageTitle = entry.PageTitle,
                RobotsDecision = CrawlText.Clip(robotsDecision.Reason, 1000),
                FetchedAt = now,
            });
            await db.RejectedFiles.Where(r => r.DatasetId == _state.Crawl.DatasetId && r.Origin == entry.Url).ExecuteDeleteAsync(CancellationToken.None);
            var status = nearest is null ? CrawlUrlStatus.Accepted : CrawlUrlStatus.NearDuplicate;
            var reason = nearest is { } n ? $"near duplicate of image {n.Id} (dHash distance {n.Distance})" : null;
            await UpdateAsync(db, entry, status, reason, result.HttpStatus, retries, row.Id, null, cancellationToken);
            await tx.CommitAsync(CancellationToken.None);
            _state.ShaToImage[sha] = row.Id;
            if (nearest is null)
            {
                _state.Canonical.Add((row.Id, hash));
            }
        }
        finally
        {
            _state.Writer.Release();
        }
    }

    private async Task RejectAsync(CrawlUrl entry, string reason, long bytes, string sha, int? httpStatus, int retries, CancellationToken cancellationToken)
    {
        await _state.Writer.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            // Same record as an import's refused file: one row per origin, the latest reason.
            await db.RejectedFiles.Where(r => r.DatasetId == _state.Crawl.DatasetId && r.Origin == entry.Url).ExecuteDeleteAsync(cancellationToken);
            db.RejectedFiles.Add(new RejectedFile
            {
                DatasetId = _state.Crawl.DatasetId,
                Origin = entry.Url,
                Reason = CrawlText.Clip(reason, 1000),
                Bytes = bytes,
                Sha256 = sha,
                JobRunId = _state.JobRunId,
                CreatedAt = _clock.GetUtcNow(),
            });
            await UpdateAsync(db, entry, CrawlUrlStatus.Rejected, reason, httpStatus, retries, null, null, cancellationToken);
        }
        finally
        {
            _state.Writer.Release();
        }
    }

    private async Task FinishAsync(CrawlUrl entry, CrawlUrlStatus status, string? reason, int? httpStatus, int retries, CancellationToken cancellationToken, long? imageId = null)
    {
        await _state.Writer.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _contexts.CreateDbContextAsync(cancellationToken);
            await UpdateAsync(db, entry, status, reason, httpStatus, retries, imageId, null, cancellationToken);
        }
        finally
        {
            _state.Writer.Release();
        }
    }

    /// <summary>Records the entry's outcome with whatever else <paramref name="db"/> holds, in one transaction. Caller holds the writer.</summary>
    private async Task UpdateAsync(PlatformDbContext db, CrawlUrl entry, CrawlUrlStatus status, string? reason, int? httpStatus, int retries, long? imageId, string? title, CancellationToken cancellationToken)
    {
        var tracked = new CrawlUrl { Id = entry.Id, Url = entry.Url, Host = entry.Host };
        db.CrawlUrls.Attach(tracked);
        tracked.Status = status;
        tracked.Reason = reason is null ? null : CrawlText.Clip(reason, 1000);
        tracked.HttpStatus = httpStatus;
        tracked.Retries = entry.Retries + retries;
        tracked.FetchedAt = _clock.GetUtcNow();
        tracked.ImageId = imageId;
        if (title is not null)
        {
            tracked.PageTitle = CrawlText.Clip(title, 500);
        }

        // Not cancellable: the fetch happened, so its outcome must be kept even when a pause arrives now.
        await db.SaveChangesAsync(CancellationToken.None);
        _state.Count(entry.Kind, CrawlUrlStatus.Queued, -1);
        _state.Count(entry.Kind, status, +1);
        if (status is CrawlUrlStatus.Failed or CrawlUrlStatus.Blocked)
        {
            _logger.LogInformation("Crawl {CrawlId}: {Url} {Status}: {Reason}", _state.Crawl.Id, entry.Url, status, reason);
        }
    }
}
