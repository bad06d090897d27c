using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Review;

/// <summary>The leave-one-out run an import-label queue is read from.</summary>
public sealed record SuspectSource(long RunId, string Label, DateTimeOffset? CompletedAt);

/// <summary>
/// The import-label review queue. It lives in Review, not Labelling, because it reads an evaluation report: Labelling
/// stays below Evaluation (which takes its ground truth from the labels), so the two never depend on each other.
/// </summary>
public sealed class ImportSuspectQueue(IDbContextFactory<PlatformDbContext> contexts, EvaluationService evaluations, GroundTruthService groundTruth, LabelNames labelNames)
{
    /// <summary>
    /// Images nobody has labelled yet whose imported label most of their 10 nearest images do not share, read from the
    /// dataset's newest finished leave-one-out evaluation run with a model (null when none).
    /// </summary>
    public async Task<(SuspectSource? Source, List<Disagreement> Items)> FindAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var source = await db.EvaluationRuns.AsNoTracking()
            .Where(r => r.DatasetId == datasetId && r.ModelId != null && r.CompletedAt != null && r.ReportGzip != null
                && db.EvaluationSplits.Any(s => s.Id == r.SplitId && s.Protocol == SplitProtocols.LeaveOneOut))
            .OrderByDescending(r => r.Id).Select(r => new SuspectSource(r.Id, r.Label, r.CompletedAt)).FirstOrDefaultAsync(cancellationToken);
        if (source is null || await evaluations.LoadReportAsync(source.RunId, cancellationToken) is not { } report)
        {
            return (null, []);
        }

        var truth = await groundTruth.CurrentAsync(datasetId, cancellationToken);
        // A skip is no opinion: a skipped image stays a suspect.
        var touched = (await db.LabelVotes.Where(v => v.DatasetId == datasetId && v.Kind != LabelEventKind.Skip).Select(v => v.ImageId)
            .Union(db.FinalLabels.Where(f => f.DatasetId == datasetId).Select(f => f.ImageId)).ToListAsync(cancellationToken)).ToHashSet();
        var names = await labelNames.ClassNamesAsync(datasetId, cancellationToken);
        return (source, ImportLabelSuspects.Find(report, truth.ClassOf, touched, names));
    }
}
