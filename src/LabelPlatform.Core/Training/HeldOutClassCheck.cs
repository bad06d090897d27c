using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Training;

/// <summary>How a head does on classes it never saw in training, against its base model on the same images.</summary>
public sealed record HeldOutResult(
    string Split,
    int Seed,
    int Classes,
    int Queries,
    double BasePrecisionAtK,
    double PrecisionAtK,
    double BaseApAtK,
    double ApAtK,
    double PValue,
    int BestEpoch)
{
    public double Delta => PrecisionAtK - BasePrecisionAtK;

    /// <summary>For the report and the CLI: set when the head is worse than its base on the held-out classes.</summary>
    public string? Warning => Delta < 0
        ? $"the trained head is worse than its base on classes it never saw: P@{TrainingService.EvaluationK} {PrecisionAtK:0.0000} against {BasePrecisionAtK:0.0000} on the {Classes} held-out classes of split {Split} (p = {PValue:0.0000}); on new data it may make search worse"
        : null;

    public static HeldOutResult From(ComparisonResult comparison, EvaluationSplit split, int classes, int bestEpoch) =>
        new(split.Name, split.Seed, classes, comparison.SharedQueries, comparison.PrecisionA, comparison.PrecisionB, comparison.ApA, comparison.ApB, comparison.PValue, bestEpoch);
}

/// <summary>
/// The generalisation check every training run makes unless asked not to: the same options trained on the dataset's
/// class-disjoint split with the same seed (half of the classes held out entirely), then the base vectors and the
/// head's vectors of the held-out classes compared image for image (leave-one-out among them, P@10, paired
/// randomisation test). A head that only memorises its classes shows here as worse than its base.
/// </summary>
public sealed class HeldOutClassCheck(
    IDbContextFactory<PlatformDbContext> contexts,
    GroundTruthService groundTruth,
    EvaluationService evaluations,
    TrainingData data)
{
    public async Task<HeldOutResult> RunAsync(int datasetId, EmbeddingModel baseModel, int seed, TrainingOptions options, string? startedBy, JobProgress progress, CancellationToken cancellationToken)
    {
        var split = await evaluations.GetOrCreateSplitAsync(datasetId, null, SplitProtocols.ClassDisjoint, seed, startedBy, cancellationToken: cancellationToken);
        var labels = await groundTruth.CurrentAsync(datasetId, cancellationToken);
        var (_, classes, vectors) = await data.LoadTrainingDataAsync(split.Id, baseModel, labels, cancellationToken);
        if (classes.Distinct().Count() < 2)
        {
            throw new TrainingException($"the class-disjoint split {split.Name} leaves fewer than two classes to train on");
        }

        progress.SetMessage($"Checking held-out classes: training the same head on split {split.Name}");
        await progress.FlushAsync(force: true, cancellationToken);
        var result = await progress.RunCpuBoundAsync(ct => HeadTrainer.Train(vectors, baseModel.Dimension, classes, options, null, ct), () => { }, cancellationToken);

        progress.SetMessage($"Checking held-out classes: base against head on split {split.Name}");
        await progress.FlushAsync(force: true, cancellationToken);
        var members = await EvaluationMembersAsync(split.Id, baseModel, labels, cancellationToken);
        var baseReport = Evaluate(members, labels, baseModel.Dimension, x => x);
        var headReport = Evaluate(members, labels, result.Head.EmbeddingDimension, x => result.Head.Embed(x));
        var comparison = RunComparison.Compare(baseReport, headReport, TrainingService.EvaluationK);
        return HeldOutResult.From(comparison, split, members.Select(m => m.Item.ClassId).Distinct().Count(), result.BestEpoch);
    }

    /// <summary>The split's evaluation images in content order (ties as the reports break them) with their base vectors.</summary>
    private async Task<List<(EvaluationItem Item, float[] Vector)>> EvaluationMembersAsync(int splitId, EmbeddingModel baseModel, LabelState labels, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.SplitImages.AsNoTracking().Where(s => s.SplitId == splitId && s.Role != SplitRole.Training)
            .Join(db.Embeddings.Where(e => e.ModelId == baseModel.Id), s => s.ImageId, e => e.ImageId, (s, e) => new { s.ImageId, e.Vector })
            .ToListAsync(cancellationToken);
        var expected = await db.SplitImages.CountAsync(s => s.SplitId == splitId && s.Role != SplitRole.Training, cancellationToken);
        if (rows.Count < expected)
        {
            throw new TrainingException($"{expected - rows.Count} held-out images have no {baseModel.Label} embedding yet: compute embeddings for the dataset first");
        }

        return [.. rows.Where(r => labels.ClassOf.ContainsKey(r.ImageId))
            .OrderBy(r => labels.ContentOf[r.ImageId], StringComparer.Ordinal)
            .Select(r => (new EvaluationItem(r.ImageId, labels.ClassOf[r.ImageId]), VectorCodec.FromBytes(r.Vector)))];
    }

    private static EvaluationReport Evaluate(List<(EvaluationItem Item, float[] Vector)> members, LabelState labels, int dimension, Func<float[], float[]> embed)
    {
        var matrix = new float[members.Count * dimension];
        for (var i = 0; i < members.Count; i++)
        {
            embed(members[i].Vector).CopyTo(matrix, i * dimension);
        }

        var items = members.Select(m => m.Item).ToList();
        return Evaluator.Evaluate(new EvaluationData
        {
            Queries = items,
            Candidates = items,
            Classes = labels.Classes,
            QueryVectors = matrix,
            CandidateVectors = matrix,
            Dimension = dimension,
        }, new EvaluationSettings([TrainingService.EvaluationK], TrainingService.EvaluationK, EvaluationService.DefaultSeed) { BootstrapSamples = 0 });
    }
}
