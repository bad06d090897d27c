using System.Text;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Datasets;

/// <summary>One page of a long list, newest first or in order of arrival, with the total to page through.</summary>
public sealed record ListPage<T>(IReadOnlyList<T> Items, int PageNumber, int PageCount, int Total);

/// <summary>
/// Reads every rejected file of a dataset and every item error of a job run, a page at a time for people and whole
/// as CSV: nothing past the first few hundred is hidden (an import of a broken archive can reject tens of thousands).
/// </summary>
public sealed class RejectionLog(IDbContextFactory<PlatformDbContext> contexts)
{
    public const int PageSize = 200;

    public async Task<ListPage<RejectedFile>> RejectedPageAsync(int datasetId, int page, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = db.RejectedFiles.AsNoTracking().Where(r => r.DatasetId == datasetId);
        var total = await rows.CountAsync(ct);
        var (number, count) = Clamp(page, total);
        var items = await rows.OrderByDescending(r => r.Id).Skip((number - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        return new ListPage<RejectedFile>(items, number, count, total);
    }

    public async Task<ListPage<JobRunItemError>> ItemErrorsPageAsync(long runId, int page, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var rows = db.JobRunItemErrors.AsNoTracking().Where(e => e.JobRunId == runId);
        var total = await rows.CountAsync(ct);
        var (number, count) = Clamp(page, total);
        var items = await rows.OrderBy(e => e.Id).Skip((number - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        return new ListPage<JobRunItemError>(items, number, count, total);
    }

    /// <summary>Every rejected file of the dataset as CSV (origin, reason, bytes, sha256, job run, time), newest first.</summary>
    public async Task WriteRejectedCsvAsync(int datasetId, TextWriter output, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await output.WriteLineAsync("origin,reason,bytes,sha256,job_run_id,created_at");
        await foreach (var r in db.RejectedFiles.AsNoTracking().Where(r => r.DatasetId == datasetId).OrderByDescending(r => r.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            await output.WriteLineAsync(Row(r.Origin, r.Reason, r.Bytes?.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Sha256, r.JobRunId?.ToString(System.Globalization.CultureInfo.InvariantCulture), r.CreatedAt.ToString("O")));
        }
    }

    /// <summary>Every item error of the run as CSV (item, error, time), in order of arrival.</summary>
    public async Task WriteItemErrorsCsvAsync(long runId, TextWriter output, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        await output.WriteLineAsync("item,error,created_at");
        await foreach (var e in db.JobRunItemErrors.AsNoTracking().Where(e => e.JobRunId == runId).OrderBy(e => e.Id).AsAsyncEnumerable().WithCancellation(ct))
        {
            await output.WriteLineAsync(Row(e.Item, e.Message, e.CreatedAt.ToString("O")));
        }
    }

    private static string Row(params string?[] cells)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            line.Append(i == 0 ? "" : ",").Append(CsvCell.Text(cells[i] ?? ""));
        }

        return line.ToString();
    }

    private static (int Number, int Count) Clamp(int page, int total)
    {
        var count = Math.Max(1, (total + PageSize - 1) / PageSize);
        return (page < 1 ? 1 : page > count ? count : page, count);
    }
}
