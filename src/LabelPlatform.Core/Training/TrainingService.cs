using LabelPlatform.Core.Labelling;
using System.Collections.Concurrent;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Core.Training;

/// <summary>Bad input to training (unknown split, missing base embeddings, bad options): the run fails with this message.</summary>
public sealed class TrainingException(string message) : Exception(message);

public sealed record TrainParameters(int SplitId, int BaseModelId, string ModelName, TrainingOptions Options)
{
    /// <summary>
    /// Also train the same options on the class-disjoint split of the same seed and compare base and head on its
    /// held-out classes (<see cref="HeldOutClassCheck"/>). A class-disjoint training split is its own check.
    /// </summary>
    public bool CheckHeldOutClasses { get; init; } = true;
}

public sealed record TrainingSummary(
    long JobRunId,
    EmbeddingModel Model,
    EmbeddingModel BaseModel,
    string Split,
    IReadOnlyList<EpochResult> Curve,
    int BestEpoch,
    double ValidationPrecisionAt10,
    int TrainingImages,
    int ValidationImages,
    double TrainingSeconds,
    long BaseEvaluationRunId,
    long EvaluationRunId,
    ComparisonResult Comparison)
{
    /// <summary>Why the number of epochs was fixed instead of chosen on held-out images (<see cref="TrainingResult.ValidationNote"/>); null when they chose it.</summary>
    public string? ValidationNote { get; init; }

    /// <summary>The head against its base on classes it never saw; null when the check was turned off.</summary>
    public HeldOutResult? HeldOut { get; init; }

    public string Describe() =>
        $"{Model.Name} v{Model.Version}: {ValidationNote ?? $"best epoch {BestEpoch} (validation P@10 {ValidationPrecisionAt10:0.0000})"}; on the split's queries P@10 {Comparison.PrecisionB:0.0000} vs {BaseModel.Name} {Comparison.PrecisionA:0.0000}, AP@10 {Comparison.ApB:0.0000} vs {Comparison.ApA:0.0000} (p = {Comparison.PValue:0.0000})"
        + (HeldOut is null ? "" : HeldOut.Warning is { } warning ? $"; WARNING: {warning}" : $"; on {HeldOut.Classes} held-out classes P@10 {HeldOut.PrecisionAtK:0.0000} vs {HeldOut.BasePrecisionAtK:0.0000} (p = {HeldOut.PValue:0.0000})");
}

/// <summary>
/// Trains a projection head on a base model's stored embeddings of a split's training images (never its queries or
/// candidates), exports base + head as one ONNX model registered as a new model version, gives every image of the
/// dataset that has a base embedding its new embedding, and evaluates the new model against the base on the split.
/// </summary>
public sealed class TrainingService(
    IDbContextFactory<PlatformDbContext> contexts,
    GroundTruthService groundTruth,
    EvaluationService evaluations,
    TrainingData data,
    TrainedModels trainedModels,
    HeldOutClassCheck heldOutCheck,
    JobRunService runs,
    JobExecutor executor)
{
    public const int EvaluationK = 10;

    public async Task<JobRun> CreateRunAsync(int datasetId, TrainParameters parameters, string? startedBy, bool enqueue, CancellationToken cancellationToken = default)
    {
        if (parameters.Options.Problem() is { } problem)
        {
            throw new TrainingException(problem);
        }

        if (!Datasets.DatasetService.IsValidName(parameters.ModelName))
        {
            throw new TrainingException($"'{parameters.ModelName}' is not a valid model name: use 1-100 letters, digits, '-', '_' or '.'");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.EvaluationSplits.AnyAsync(s => s.Id == parameters.SplitId && s.DatasetId == datasetId, cancellationToken))
        {
            throw new TrainingException($"split {parameters.SplitId} is not a split of dataset {datasetId}");
        }

        if (!await db.EmbeddingModels.AnyAsync(m => m.Id == parameters.BaseModelId, cancellationToken))
        {
            throw new TrainingException($"model version {parameters.BaseModelId} does not exist");
        }

        return enqueue
            ? await runs.CreateAndEnqueueAsync(JobKinds.Train, datasetId, parameters, startedBy, cancellationToken)
            : await runs.CreateAsync(JobKinds.Train, datasetId, parameters, startedBy, cancellationToken);
    }

    public async Task<TrainingSummary> RunAsync(JobRun run, JobProgress progress, CancellationToken cancellationToken)
    {
        var parameters = JobRunService.ReadParameters<TrainParameters>(run);
        var datasetId = run.DatasetId ?? throw new TrainingException("the training job names no dataset");
        EvaluationSplit split;
        EmbeddingModel baseModel;
        EmbeddingModel? trained;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            split = await db.EvaluationSplits.AsNoTracking().FirstOrDefaultAsync(s => s.Id == parameters.SplitId && s.DatasetId == datasetId, cancellationToken)
                ?? throw new TrainingException($"split {parameters.SplitId} is not a split of dataset {datasetId}");
            baseModel = await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == parameters.BaseModelId, cancellationToken)
                ?? throw new TrainingException($"model version {parameters.BaseModelId} does not exist");
            trained = await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.TrainingJobRunId == run.Id, cancellationToken);
        }

        TrainingResult? result = null;
        if (trained is null)
        {
            var labels = await groundTruth.CurrentAsync(datasetId, cancellationToken);
            progress.SetMessage($"Loading {baseModel.Name} embeddings of the training images");
            await progress.FlushAsync(force: true, cancellationToken);
            var (_, classes, vectors) = await data.LoadTrainingDataAsync(split.Id, baseModel, labels, cancellationToken);
            if (classes.Distinct().Count() < 2)
            {
                throw new TrainingException("the split's training images cover fewer than two classes");
            }

            progress.SetTotal(parameters.Options.Epochs);
            result = await TrainWithProgressAsync(vectors, baseModel.Dimension, classes, parameters.Options, progress, cancellationToken);
            progress.SetMessage("Exporting the model");
            await progress.FlushAsync(force: true, cancellationToken);
            trained = await trainedModels.RegisterAsync(run, parameters, baseModel, split, labels, result, cancellationToken);
        }

        progress.SetMessage("Embedding the dataset with the trained model");
        await progress.FlushAsync(force: true, cancellationToken);
        var head = trainedModels.LoadHead(trained, baseModel.Dimension);
        await trainedModels.EmbedFromBaseAsync(datasetId, baseModel, trained, head, run.Id, cancellationToken);

        progress.SetMessage("Evaluating the trained model against the base model");
        await progress.FlushAsync(force: true, cancellationToken);
        var baseRun = await FindOrEvaluateAsync(datasetId, split.Id, baseModel.Id, run.StartedBy, cancellationToken);
        var newRun = await FindOrEvaluateAsync(datasetId, split.Id, trained.Id, run.StartedBy, cancellationToken);
        var comparison = RunComparison.Compare((await evaluations.LoadReportAsync(baseRun, cancellationToken))!, (await evaluations.LoadReportAsync(newRun, cancellationToken))!, EvaluationK);

        var manifest = JsonSerializer.Deserialize<Dictionary<string, object?>>(trained.TrainingJson!, ManifestOptions)!;
        manifest["evaluation"] = new
        {
            k = EvaluationK,
            base_run = baseRun,
            trained_run = newRun,
            base_precision_at_k = comparison.PrecisionA,
            trained_precision_at_k = comparison.PrecisionB,
            base_ap_at_k = comparison.ApA,
            trained_ap_at_k = comparison.ApB,
            p_value = comparison.PValue,
        };
        var heldOut = ReadHeldOut(manifest);
        if (heldOut is null && split.Protocol == SplitProtocols.ClassDisjoint)
        {
            // Trained on a class-disjoint split: its own evaluation is on classes the head never saw.
            heldOut = HeldOutResult.From(comparison, split, (await evaluations.LoadReportAsync(newRun, cancellationToken))!.PerClass.Count, result?.BestEpoch ?? ReadCurve(trained.TrainingJson!).BestEpoch);
        }
        else if (heldOut is null && parameters.CheckHeldOutClasses)
        {
            heldOut = await heldOutCheck.RunAsync(datasetId, baseModel, SplitProtocols.IsSeeded(split.Protocol) ? split.Seed : EvaluationService.DefaultSeed, parameters.Options, run.StartedBy, progress, cancellationToken);
        }

        manifest["held_out_classes"] = heldOut is null ? null : new { result = heldOut, delta = heldOut.Delta, warning = heldOut.Warning };
        var json = JsonSerializer.Serialize(manifest, ManifestOptions);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.EmbeddingModels.Where(m => m.Id == trained.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.TrainingJson, json), cancellationToken);
        }

        trained.TrainingJson = json;
        var stored = ReadCurve(json);
        return new TrainingSummary(run.Id, trained, baseModel, split.Name, result?.Curve ?? stored.Curve, result?.BestEpoch ?? stored.BestEpoch,
            result?.BestValidationPrecisionAt10 ?? stored.Validation, result?.TrainingImages ?? stored.TrainingImages, result?.ValidationImages ?? stored.ValidationImages,
            result?.Seconds ?? 0, baseRun, newRun, comparison)
        {
            ValidationNote = result is null ? stored.ValidationNote : result.ValidationNote,
            HeldOut = heldOut,
        };
    }

    /// <summary>A check an earlier attempt of this run already made (the job is reentrant), or null.</summary>
    private static HeldOutResult? ReadHeldOut(Dictionary<string, object?> manifest) =>
        manifest.TryGetValue("held_out_classes", out var value) && value is JsonElement { ValueKind: JsonValueKind.Object } element
            && element.TryGetProperty("result", out var result)
            ? result.Deserialize<HeldOutResult>(ManifestOptions)
            : null;

    internal static readonly JsonSerializerOptions ManifestOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static (IReadOnlyList<EpochResult> Curve, int BestEpoch, double Validation, int TrainingImages, int ValidationImages, string? ValidationNote) ReadCurve(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        // A run without validation stored null for its P@10 (JSON has no NaN).
        static double Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
        var curve = root.GetProperty("curve").EnumerateArray()
            .Select(e => new EpochResult(e.GetProperty("epoch").GetInt32(), e.GetProperty("loss").GetDouble(), Number(e.GetProperty("validation_precision_at10")), e.GetProperty("seconds").GetDouble()))
            .ToList();
        var note = root.TryGetProperty("validation_note", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        return (curve, root.GetProperty("best_epoch").GetInt32(), Number(root.GetProperty("validation_precision_at10")),
            root.GetProperty("training_images").GetInt32(), root.GetProperty("validation_images").GetInt32(), note);
    }

    /// <summary>NaN (no validation) as JSON null: the serialiser refuses NaN.</summary>
    internal static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static Task<TrainingResult> TrainWithProgressAsync(float[] vectors, int dimension, int[] classes, TrainingOptions options, JobProgress progress, CancellationToken cancellationToken)
    {
        var epochs = new ConcurrentQueue<EpochResult>();
        return progress.RunCpuBoundAsync(ct => HeadTrainer.Train(vectors, dimension, classes, options, epochs.Enqueue, ct), () =>
        {
            while (epochs.TryDequeue(out var epoch))
            {
                progress.Succeed();
                progress.SetMessage(double.IsNaN(epoch.ValidationPrecisionAt10)
                    ? $"Epoch {epoch.Epoch}: loss {epoch.Loss:0.0000}"
                    : $"Epoch {epoch.Epoch}: loss {epoch.Loss:0.0000}, validation P@10 {epoch.ValidationPrecisionAt10:0.0000}");
            }
        }, cancellationToken);
    }

    private async Task<long> FindOrEvaluateAsync(int datasetId, int splitId, int modelId, string? startedBy, CancellationToken cancellationToken)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var labels = await groundTruth.CurrentAsync(datasetId, cancellationToken);
            var existing = await db.EvaluationRuns.AsNoTracking()
                .Where(r => r.SplitId == splitId && r.ModelId == modelId && r.ReportGzip != null && r.LabelStateHash == labels.Hash && r.KValues.Contains(EvaluationK.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .OrderByDescending(r => r.Id).Select(r => (long?)r.Id).FirstOrDefaultAsync(cancellationToken);
            if (existing is { } found)
            {
                return found;
            }
        }

        EvaluationRun evaluation;
        JobRun job;
        try
        {
            (evaluation, job) = await evaluations.CreateRunAsync(new EvaluationRequest
            {
                DatasetId = datasetId,
                SplitId = splitId,
                ModelId = modelId,
                Ks = [1, 5, EvaluationK, 20],
                MainK = EvaluationK,
                StartedBy = startedBy,
            }, enqueue: false, cancellationToken);
        }
        catch (EvaluationException ex)
        {
            throw new TrainingException($"the evaluation of model version {modelId} was refused: {ex.Message}");
        }

        var summary = await executor.RunAsync(job.Id, async (r, p, ct) => (await evaluations.ExecuteAsync(r, p, ct), "done"), ex => ex is EvaluationException, cancellationToken);
        return summary is null
            ? throw new TrainingException($"the evaluation of model version {modelId} failed: {(await runs.FindAsync(job.Id, CancellationToken.None))?.Error}")
            : evaluation.Id;
    }
}
