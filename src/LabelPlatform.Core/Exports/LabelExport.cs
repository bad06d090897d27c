using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Labelling;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Exports;

/// <summary>
/// A dataset's labels as they stand (reviewer decision, else consensus, else import label), with who labelled each
/// image when, written out as csv, jsonl, a folder-per-class manifest, or a zip of the images by class.
/// </summary>
public sealed class LabelExport(IDbContextFactory<PlatformDbContext> contexts, GroundTruthService groundTruth, ImageStore store)
{
    /// <summary>
    /// Export formats: one row per image with a ground-truth label, its source, and who labelled it when (csv, jsonl);
    /// a folder-per-class manifest (folders); or the images themselves copied into one folder per class in a zip
    /// archive with labels.csv beside them (zip), written straight to <paramref name="output"/> as it goes.
    /// </summary>
    public async Task ExportAsync(int datasetId, string format, Stream output, CancellationToken cancellationToken = default)
    {
        var rows = await ExportRowsAsync(datasetId, cancellationToken);
        if (format == "zip")
        {
            await ExportZipAsync(rows, output, cancellationToken);
            return;
        }

        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true);
        switch (format)
        {
            case "csv":
                await WriteCsvAsync(rows, writer);
                break;
            case "jsonl":
                foreach (var r in rows)
                {
                    await writer.WriteLineAsync(JsonSerializer.Serialize(new
                    {
                        image_id = r.ImageId, sha256 = r.Sha256, origin = r.Origin, label = r.Label, label_source = r.Source, decided_by = r.DecidedBy, decided_at = r.DecidedAt,
                        votes = r.Votes.Select(v => new { user = v.User, label = v.Label, at = v.At }),
                    }));
                }

                break;
            case "folders":
                // A folder-per-class layout as a manifest: where each stored file would go, and its key in the store
                // (its path under the data directory, or under the bucket's prefix).
                await writer.WriteLineAsync("target\tstored\timage_id");
                foreach (var r in rows.Where(r => r.Source != "rejected"))
                {
                    await writer.WriteLineAsync($"{SafeFolder(r.Label)}/{r.Sha256}.{r.Extension}\t{ImageStore.OriginalKey(r.Sha256, r.Format)}\t{r.ImageId}");
                }

                break;
            default:
                throw new LabellingException("format must be csv, jsonl, folders or zip");
        }
    }

    private static async Task WriteCsvAsync(List<ExportRow> rows, StreamWriter writer)
    {
        await writer.WriteLineAsync("image_id,sha256,origin,label,label_source,decided_by,decided_at,votes");
        foreach (var r in rows)
        {
            var votes = string.Join(';', r.Votes.Select(v => $"{v.User}={v.Label}@{v.At:O}"));
            await writer.WriteLineAsync(string.Join(',', r.ImageId.ToString(CultureInfo.InvariantCulture), r.Sha256, CsvCell.Text(r.Origin), CsvCell.Text(r.Label), r.Source, CsvCell.Text(r.DecidedBy ?? ""), r.DecidedAt?.ToString("O") ?? "", CsvCell.Text(votes)));
        }
    }

    private async Task ExportZipAsync(List<ExportRow> rows, Stream output, CancellationToken cancellationToken)
    {
        // Built in a temporary file, then streamed: ZipArchive closes its entries synchronously, which a response
        // refuses, and a whole dataset must not sit in memory. The file goes away when closed.
        var path = Path.Combine(Path.GetTempPath(), $"labelplatform-export-{Guid.NewGuid():N}.zip");
        await using var temp = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        using (var zip = new ZipArchive(temp, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var writer = new StreamWriter(zip.CreateEntry("labels.csv").Open(), new UTF8Encoding(false)))
            {
                await WriteCsvAsync(rows, writer);
            }

            var missing = new List<string>();
            foreach (var r in rows.Where(r => r.Source != "rejected"))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await using var source = await store.OpenOriginalAsync(r.Sha256, r.Format, cancellationToken);
                if (source is null)
                {
                    // Listed, not fatal: the archive still holds every image that is there.
                    missing.Add($"{r.ImageId}\t{r.Sha256}\t{r.Origin}");
                    continue;
                }

                // Images are compressed already: stored as they are, the export is fast and no bigger.
                await using var entry = await zip.CreateEntry($"{SafeFolder(r.Label)}/{r.Sha256}.{r.Extension}", CompressionLevel.NoCompression).OpenAsync(cancellationToken);
                await source.Stream.CopyToAsync(entry, cancellationToken);
            }

            if (missing.Count > 0)
            {
                using var writer = new StreamWriter(zip.CreateEntry("missing.tsv").Open(), new UTF8Encoding(false));
                await writer.WriteLineAsync("image_id\tsha256\torigin");
                foreach (var line in missing)
                {
                    await writer.WriteLineAsync(line);
                }
            }
        }

        temp.Position = 0;
        await temp.CopyToAsync(output, cancellationToken);
    }

    public sealed record ExportVote(string User, string Label, DateTimeOffset At);

    public sealed record ExportRow(long ImageId, string Sha256, string Format, string Origin, string Label, string Source, string? DecidedBy, DateTimeOffset? DecidedAt, IReadOnlyList<ExportVote> Votes)
    {
        /// <summary>The stored file's extension (jpg, png, ...).</summary>
        public string Extension => ImageStore.Extension(Format);
    }

    public async Task<List<ExportRow>> ExportRowsAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        var state = await groundTruth.CurrentAsync(datasetId, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var names = state.Classes.ToDictionary(c => c.Id, c => c.Name);
        var images = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId).OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.Sha256, i.Format, i.Origin }).ToListAsync(cancellationToken);
        var finals = await db.FinalLabels.AsNoTracking().Where(f => f.DatasetId == datasetId).ToDictionaryAsync(f => f.ImageId, cancellationToken);
        var votes = await db.LabelVotes.AsNoTracking().Where(v => v.DatasetId == datasetId && v.Kind != LabelEventKind.Skip).ToListAsync(cancellationToken);
        var users = await LabelNames.UserNamesAsync(db, votes.Select(v => v.UserId).Concat(finals.Values.Select(f => f.DecidedBy)), cancellationToken);
        var votesOf = votes.GroupBy(v => v.ImageId).ToDictionary(g => g.Key, g => g.OrderBy(v => v.EventId)
            .Select(v => new ExportVote(users.GetValueOrDefault(v.UserId, v.UserId), LabelNames.Describe(LabelValue.FromVote(v.Kind, v.ClassId)!.Value, names), v.UpdatedAt)).ToList());
        var board = await LabelBoard.LoadAsync(db, datasetId, cancellationToken);
        var rows = new List<ExportRow>();
        foreach (var i in images)
        {
            var imageVotes = votesOf.GetValueOrDefault(i.Id) ?? [];
            if (finals.TryGetValue(i.Id, out var f))
            {
                rows.Add(new ExportRow(i.Id, i.Sha256, i.Format, i.Origin, f.Rejected ? "rejected" : names.GetValueOrDefault(f.ClassId ?? 0, "noise"), f.Rejected ? "rejected" : "review", users.GetValueOrDefault(f.DecidedBy, f.DecidedBy), f.DecidedAt, imageVotes));
            }
            else if (board.Images.TryGetValue(i.Id, out var b) && b.Consensus is { } c)
            {
                rows.Add(new ExportRow(i.Id, i.Sha256, i.Format, i.Origin, LabelNames.Describe(c, names), c.Rejected ? "rejected" : "consensus", null, imageVotes.Count > 0 ? imageVotes.Max(v => v.At) : null, imageVotes));
            }
            else if (state.ClassOf.TryGetValue(i.Id, out var cls))
            {
                rows.Add(new ExportRow(i.Id, i.Sha256, i.Format, i.Origin, names[cls], "import", null, null, imageVotes));
            }
        }

        return rows;
    }

    private static string SafeFolder(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var clean = new string([.. name.Select(ch => invalid.Contains(ch) || ch == '.' && name.Length <= 2 ? '_' : ch)]);
        return clean.Length == 0 ? "_" : clean;
    }
}
