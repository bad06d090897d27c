using Hangfire;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;

namespace LabelPlatform.Jobs;

/// <summary>
/// Entry point for dataset imports, from Hangfire and from the CLI alike. Takes a job run id; everything else lives
/// in the run's parameters.
/// </summary>
public sealed class ImportDatasetJob(JobExecutor executor, DatasetImporter importer, EmbedRuns embedRuns, JobRunService runs)
{
    /// <summary>
    /// Reentrant: a job requeued after a crash or shutdown resumes the same run; content already committed counts as
    /// done. No automatic retries: a failed run says why, and re-running the import is safe (it skips stored content).
    /// New images are then embedded automatically (Embeddings:EmbedAfterImport) by embed runs queued behind it.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Import dataset (job run {0})")]
    public async Task<ImportSummary?> RunAsync(long jobRunId, CancellationToken cancellationToken)
    {
        var summary = await ImportAsync(jobRunId, cancellationToken);
        if (summary is { Accepted: > 0 } && (await runs.FindAsync(jobRunId, cancellationToken))?.DatasetId is { } datasetId)
        {
            await embedRuns.StartAfterImportAsync(datasetId, $"after import run {jobRunId}", cancellationToken);
        }

        return summary;
    }

    /// <summary>The import alone (the CLI runs this in its own process, with no job server to embed afterwards).</summary>
    public Task<ImportSummary?> ImportAsync(long jobRunId, CancellationToken cancellationToken) =>
        executor.RunAsync(jobRunId, async (run, progress, ct) =>
        {
            var summary = await importer.RunAsync(run, progress, ct);
            return (summary, summary.Describe());
        }, IsExpected, cancellationToken);

    internal static bool IsExpected(Exception ex) => ex is ImportSourceException;
}
