using System.Collections.Concurrent;
using System.Diagnostics;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Datasets.Import;

/// <summary>
/// Imports a folder-per-class tree (directly, or extracted from an uploaded or downloaded archive) into a dataset.
/// Files are checked and stored in parallel; one writer commits them in batches, so a killed import resumes from its
/// last batch and a re-run adds nothing (content already in the dataset counts as a duplicate).
/// </summary>
public sealed class DatasetImporter(
    IDbContextFactory<PlatformDbContext> contexts,
    DatasetService datasets,
    ImageIngest ingest,
    ArchiveExtractor extractor,
    ArchiveDownloader downloader,
    IOptions<ImportOptions> importOptions,
    IOptions<StorageOptions> storageOptions,
    TimeProvider clock,
    ILogger<DatasetImporter> logger)
{
    private readonly ImportOptions _options = importOptions.Value;

    /// <summary>Runs the import described by the job run's parameters, reporting into <paramref name="progress"/>.</summary>
    public async Task<ImportSummary> RunAsync(JobRun run, JobProgress progress, CancellationToken cancellationToken)
    {
        var parameters = JobRunService.ReadParameters<ImportParameters>(run);
        var datasetId = run.DatasetId ?? throw new ImportSourceException("the import names no dataset");
        var stopwatch = Stopwatch.StartNew();
        var staging = Path.Combine(storageOptions.Value.StagingPath, $"run-{run.Id}");
        try
        {
            string root;
            string originPrefix = "";
            IReadOnlyList<SkippedEntry> skipped = [];
            switch (parameters.Source)
            {
                case ImportSources.Folder:
                    root = CheckFolder(parameters.Path);
                    break;
                case ImportSources.Archive:
                    (root, skipped) = await ExtractAsync(parameters.Path ?? throw new ImportSourceException("no archive was uploaded"), staging, progress, cancellationToken);
                    originPrefix = (parameters.ArchiveName ?? Path.GetFileName(parameters.Path)) + "!/";
                    break;
                case ImportSources.Url:
                    var downloaded = Path.Combine(staging, "download.archive");
                    progress.SetMessage("Downloading archive");
                    await progress.FlushAsync(force: true, cancellationToken);
                    await downloader.DownloadAsync(parameters.Url ?? "", parameters.Sha256, downloaded, null, cancellationToken);
                    (root, skipped) = await ExtractAsync(downloaded, Path.Combine(staging, "files"), progress, cancellationToken);
                    originPrefix = (parameters.ArchiveName ?? parameters.Url) + "!/";
                    break;
                default:
                    throw new ImportSourceException($"unknown import source '{parameters.Source}'");
            }

            await ImportFolderAsync(run.Id, datasetId, root, originPrefix, parameters.NoiseClass, skipped, progress, cancellationToken);
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var classes = await db.ImageClasses.CountAsync(c => c.DatasetId == datasetId, cancellationToken);
            var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstAsync(cancellationToken);
            return new ImportSummary(run.Id, name, classes, progress.Processed, progress.Succeeded, progress.Duplicates, progress.Failed, stopwatch.Elapsed.TotalSeconds);
        }
        finally
        {
            // Keep staging and the upload only while a shutdown-interrupted run may still resume from them.
            if (parameters.Source != ImportSources.Folder && !cancellationToken.IsCancellationRequested)
            {
                TryDelete(staging);
                if (parameters.Source == ImportSources.Archive && parameters.Path is { } upload
                    && Path.GetFullPath(upload).StartsWith(storageOptions.Value.UploadsPath + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    TryDeleteFile(upload);
                }
            }
        }
    }

    private string CheckFolder(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ImportSourceException("no folder was given");
        }

        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new ImportSourceException($"folder '{path}' does not exist on the server");
        }

        if (_options.AllowedFolders.Count > 0 && !_options.AllowedFolders.Select(a => Path.TrimEndingDirectorySeparator(Path.GetFullPath(a)))
                .Any(a => full == a || full.StartsWith(a + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            throw new ImportSourceException($"folder '{path}' is outside the folders imports may read (Import:AllowedFolders)");
        }

        return full;
    }

    private async Task<(string Root, IReadOnlyList<SkippedEntry> Skipped)> ExtractAsync(string archive, string destination, JobProgress progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(archive))
        {
            throw new ImportSourceException("the archive file is missing on the server");
        }

        progress.SetMessage("Extracting archive");
        await progress.FlushAsync(force: true, cancellationToken);
        // A resumed job extracts again from scratch: entries are cheap to rewrite and it never trusts a half-written folder.
        TryDelete(destination);
        var skipped = await extractor.ExtractAsync(archive, destination, cancellationToken);

        // An archive of "caltech/<class>/..." has one wrapping folder; the classes are inside it.
        var root = destination;
        while (Directory.GetFiles(root).Length == 0 && Directory.GetDirectories(root) is [var only] && !ImportNameRules.IsSkippedFolder(Path.GetFileName(only)))
        {
            root = only;
        }

        return (root, skipped);
    }

    /// <summary>Imports every file under <paramref name="root"/>: top-level folders are classes, files at the top are unlabelled.</summary>
    public async Task ImportFolderAsync(long jobRunId, int datasetId, string root, string originPrefix, string? noiseClass,
        IReadOnlyList<SkippedEntry> skipped, JobProgress progress, CancellationToken cancellationToken)
    {
        progress.SetMessage("Listing files");
        await progress.FlushAsync(force: true, cancellationToken);

        // Everything left out (hidden, unfinished, linked) is reported with its reason, with what the extraction skipped.
        var (files, left) = ImportFileLister.List(root);
        skipped = [.. skipped, .. left];
        // Symbolic links are not followed (no loops, nothing outside the tree): a linked folder is neither a class nor read.
        var classNames = NoiseClassCheck.FolderClasses(root);
        // Checked before anything is written: a wrong noise class fails the run with nothing imported.
        if (await NoiseClassCheck.ProblemAsync(datasets, datasetId, root, noiseClass, cancellationToken) is { } problem)
        {
            throw new ImportSourceException(problem);
        }

        var classIds = await datasets.EnsureClassesAsync(datasetId, classNames, noiseClass, cancellationToken);

        // Content already in the dataset. What an interrupted earlier attempt of this same run committed is counted
        // as accepted when met again, so a resumed run reports the same totals as an uninterrupted one.
        var known = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var resumed = new HashSet<string>(StringComparer.Ordinal);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await foreach (var row in db.Images.Where(i => i.DatasetId == datasetId).Select(i => new { i.Sha256, i.JobRunId }).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                known[row.Sha256] = 0;
                if (row.JobRunId == jobRunId)
                {
                    resumed.Add(row.Sha256);
                }
            }
        }

        progress.SetTotal(files.Count + skipped.Count);
        progress.SetMessage($"Importing {files.Count:N0} files");
        await progress.FlushAsync(force: true, cancellationToken);

        var parallelism = _options.Parallelism > 0 ? _options.Parallelism : Environment.ProcessorCount;
        await BatchedPipeline.RunAsync<string, Outcome>(
            files,
            parallelism,
            async (file, results, ct) =>
            {
                var origin = originPrefix + Path.GetRelativePath(root, file).Replace('\\', '/');
                var className = ClassOf(root, file);
                int? classId = className is not null && classIds.TryGetValue(className, out var id) ? id : null;
                await results.WriteAsync(await CheckFileAsync(file, origin, classId, known, ct), ct);
                progress.ThrowIfCancelled();
            },
            _options.BatchSize,
            async batch =>
            {
                await CommitAsync(jobRunId, datasetId, batch, known, resumed, progress, cancellationToken);
                await progress.FlushAsync(cancellationToken: cancellationToken);
            },
            skipped.Select(entry => new Outcome(originPrefix + entry.Name, null, null, entry.Reason, null, null, false)),
            cancellationToken);

        progress.SetMessage($"Imported: {progress.Succeeded:N0} accepted, {progress.Duplicates:N0} duplicates, {progress.Failed:N0} rejected");
        await progress.FlushAsync(force: true, cancellationToken);
    }

    private async Task<Outcome> CheckFileAsync(string file, string origin, int? classId, ConcurrentDictionary<string, byte> known, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            var length = new FileInfo(file).Length;
            if (length > ingest.Validator.Options.MaxFileBytes)
            {
                return new Outcome(origin, null, null, $"file is {length / (1024 * 1024)} MB, over the {ingest.Validator.Options.MaxFileBytes / (1024 * 1024)} MB cap", length, null, false);
            }

            bytes = await File.ReadAllBytesAsync(file, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new Outcome(origin, null, null, $"cannot read the file: {ex.Message}", null, null, false);
        }

        var outcome = await ingest.CheckAndStoreAsync(bytes, known.ContainsKey, null, cancellationToken);
        return outcome.Result switch
        {
            // Same bytes already in the dataset: the decode was skipped.
            IngestResult.Known => new Outcome(origin, null, classId, null, bytes.Length, outcome.Sha256, true),
            IngestResult.Stored => new Outcome(origin, outcome.Image, classId, null, bytes.Length, outcome.Sha256, false),
            _ => new Outcome(origin, null, classId, outcome.RejectionReason, bytes.Length, outcome.Sha256, false),
        };
    }

    private async Task CommitAsync(long jobRunId, int datasetId, List<Outcome> batch, ConcurrentDictionary<string, byte> known, HashSet<string> resumed, JobProgress progress, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var counted = new List<Action>(batch.Count);
        var rejectedOrigins = new List<string>();
        var acceptedOrigins = new List<string>();
        var added = new Dictionary<string, DatasetImage>(StringComparer.Ordinal);
        var copies = new List<Outcome>();
        foreach (var outcome in batch)
        {
            if (outcome.Image is { } image)
            {
                if (known.TryAdd(image.Sha256, 0))
                {
                    var row = ImageIngest.Row(image, datasetId, ImageSource.Import, outcome.Origin, jobRunId, now);
                    row.SourceClassId = outcome.ClassId;
                    db.Images.Add(row);
                    added[image.Sha256] = row;
                    acceptedOrigins.Add(outcome.Origin);
                    counted.Add(progress.Succeed);
                }
                else
                {
                    copies.Add(outcome);
                    counted.Add(progress.Duplicate);
                }
            }
            else if (outcome.IsDuplicate)
            {
                copies.Add(outcome);
                // Only the first meeting counts as this run's own earlier work; a second file with the same bytes is a duplicate.
                counted.Add(resumed.Remove(outcome.Sha256!) ? progress.Succeed : progress.Duplicate);
            }
            else
            {
                db.RejectedFiles.Add(new RejectedFile
                {
                    DatasetId = datasetId,
                    Origin = outcome.Origin,
                    Reason = outcome.Reason ?? "rejected",
                    Bytes = outcome.Bytes,
                    Sha256 = outcome.Sha256,
                    JobRunId = jobRunId,
                    CreatedAt = now,
                });
                rejectedOrigins.Add(outcome.Origin);
                var reason = outcome.Reason ?? "rejected";
                var origin = outcome.Origin;
                counted.Add(() => progress.Fail(origin, reason));
            }
        }

        var stale = rejectedOrigins.Concat(acceptedOrigins).ToList();
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (stale.Count > 0)
            {
                // One rejection row per origin: the latest reason replaces an older one; an accepted file clears it.
                await db.RejectedFiles.Where(r => r.DatasetId == datasetId && stale.Contains(r.Origin)).ExecuteDeleteAsync(cancellationToken);
            }

            await db.SaveChangesAsync(cancellationToken);
            if (copies.Count > 0)
            {
                await RecordCopiesAsync(db, jobRunId, datasetId, copies, added, now, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // Counters move only once the batch is durable, so the Jobs page never shows work that a crash would lose.
        foreach (var count in counted)
        {
            count();
        }
    }

    /// <summary>
    /// Files whose bytes the dataset already holds: each is recorded beside the kept image with its own origin and
    /// label. Within one import the ordinally first origin is the kept copy, whatever order parallel checking
    /// finished in: a copy that sorts first takes the kept image's origin and label, and the one it replaces is
    /// recorded as the copy instead. Images of earlier imports keep theirs.
    /// </summary>
    private static async Task RecordCopiesAsync(PlatformDbContext db, long jobRunId, int datasetId, List<Outcome> copies, Dictionary<string, DatasetImage> added,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var shas = copies.Select(c => c.Sha256!).Distinct().Where(s => !added.ContainsKey(s)).ToList();
        foreach (var row in await db.Images.Where(i => i.DatasetId == datasetId && shas.Contains(i.Sha256)).ToListAsync(cancellationToken))
        {
            added[row.Sha256] = row;
        }

        var origins = copies.Select(c => c.Origin).ToList();
        var recorded = await db.DuplicateFiles.Where(d => d.DatasetId == datasetId && origins.Contains(d.Origin)).Select(d => d.Origin).ToHashSetAsync(StringComparer.Ordinal, cancellationToken);
        foreach (var copy in copies.OrderBy(c => c.Origin, StringComparer.Ordinal))
        {
            if (!added.TryGetValue(copy.Sha256!, out var kept) || kept.Origin == copy.Origin || !recorded.Add(copy.Origin))
            {
                // The kept file itself met again (a resumed or repeated import), or a copy recorded before.
                continue;
            }

            var (origin, classId) = (copy.Origin, copy.ClassId);
            if (kept.JobRunId == jobRunId && string.CompareOrdinal(copy.Origin, kept.Origin) < 0)
            {
                (origin, classId) = (kept.Origin, kept.SourceClassId);
                (kept.Origin, kept.SourceClassId) = (copy.Origin, copy.ClassId);
            }

            db.DuplicateFiles.Add(new DuplicateFile { DatasetId = datasetId, ImageId = kept.Id, Origin = origin, ClassId = classId, JobRunId = jobRunId, CreatedAt = now });
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private static string? ClassOf(string root, string file)
    {
        var relative = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
        return relative.Length > 1 ? relative[0] : null;
    }

    private void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException ex)
        {
            logger.LogWarning(ex, "Could not delete staging folder {Path}", path);
        }
    }

    private void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException ex)
        {
            logger.LogWarning(ex, "Could not delete upload {Path}", path);
        }
    }

    private sealed record Outcome(string Origin, ValidatedImage? Image, int? ClassId, string? Reason, long? Bytes, string? Sha256, bool IsDuplicate);
}
