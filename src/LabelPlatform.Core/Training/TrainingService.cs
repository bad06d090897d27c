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

public sealed record TrainParameters(int SplitId, int BaseModelId, string ModelName, TrainingOptions Options);

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

    public string Describe() =>
        $"{Model.Name} v{Model.Version}: {ValidationNote ?? $"best epoch {BestEpoch} (validation P@10 {ValidationPrecisionAt10:0.0000})"}; on the split's queries P@10 {Comparison.PrecisionB:0.0000} vs {BaseModel.Name} {Comparison.PrecisionA:0.0000}, AP@10 {Comparison.ApB:0.0000} vs {Comparison.ApA:0.0000} (p = {Comparison.PValue:0.0000})";
}

/// <summary>
/// Trains a projection head on a base model's stored embeddings of a split's training images (never its queries or
/// candidates), exports base + head as one ONNX model registered as a new model version, gives every image of the
/// dataset that has a base embedding its new embedding, and evaluates the new model against the base on the split.
/// </summary>
public sealed class TrainingService(
    IDbContextFactory<PlatformDbContext> contexts,
    GroundTruthService groundTruth,
    ModelRegistry models,
    EvaluationService evaluations,
    JobRunService runs,
    JobExecutor executor,
    Microsoft.Extensions.Options.IOptions<StorageOptions> storage,
    TimeProvider clock,
    ILogger<TrainingService> logger)
{
    public const int EvaluationK = 10;

    /// <summary>OnnxGraphEditor appends dense layers only; a residual head also needs its skip connection in the graph.</summary>
    public const string ResidualNotExportable = "residual heads cannot be exported yet: the ONNX export appends dense layers only, without the skip connection";

    public async Task<JobRun> CreateRunAsync(int datasetId, TrainParameters parameters, string? startedBy, bool enqueue, CancellationToken cancellationToken = default)
    {
        if (parameters.Options.Problem() is { } problem)
        {
            throw new TrainingException(problem);
        }

        // Refused before minutes of training rather than at the export.
        if (parameters.Options.Head == HeadKind.Residual)
        {
            throw new TrainingException(ResidualNotExportable);
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

    /// <summary>The split's training images with their current labels and base vectors; nothing else is read.</summary>
    public async Task<(long[] Ids, int[] Labels, float[] Vectors)> LoadTrainingDataAsync(int splitId, EmbeddingModel baseModel, LabelState labels, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.SplitImages.AsNoTracking().Where(s => s.SplitId == splitId && s.Role == SplitRole.Training)
            .Join(db.Embeddings.Where(e => e.ModelId == baseModel.Id), s => s.ImageId, e => e.ImageId, (s, e) => new { s.ImageId, e.Vector })
            .OrderBy(x => x.ImageId)
            .ToListAsync(cancellationToken);
        var training = await db.SplitImages.CountAsync(s => s.SplitId == splitId && s.Role == SplitRole.Training, cancellationToken);
        if (rows.Count < training)
        {
            throw new TrainingException($"{training - rows.Count} of the split's {training} training images have no {baseModel.Name} v{baseModel.Version} embedding yet: compute embeddings for the dataset first");
        }

        rows = [.. rows.Where(r => labels.ClassOf.ContainsKey(r.ImageId))];
        var vectors = new float[rows.Count * baseModel.Dimension];
        for (var i = 0; i < rows.Count; i++)
        {
            VectorCodec.FromBytes(rows[i].Vector).CopyTo(vectors.AsSpan(i * baseModel.Dimension, baseModel.Dimension));
        }

        return ([.. rows.Select(r => r.ImageId)], [.. rows.Select(r => labels.ClassOf[r.ImageId])], vectors);
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
            var (_, classes, vectors) = await LoadTrainingDataAsync(split.Id, baseModel, labels, cancellationToken);
            if (classes.Distinct().Count() < 2)
            {
                throw new TrainingException("the split's training images cover fewer than two classes");
            }

            progress.SetTotal(parameters.Options.Epochs);
            result = await TrainWithProgressAsync(vectors, baseModel.Dimension, classes, parameters.Options, progress, cancellationToken);
            progress.SetMessage("Exporting the model");
            await progress.FlushAsync(force: true, cancellationToken);
            trained = await RegisterAsync(run, parameters, baseModel, split, labels, result, cancellationToken);
        }

        progress.SetMessage("Embedding the dataset with the trained model");
        await progress.FlushAsync(force: true, cancellationToken);
        var head = LoadHead(trained, baseModel.Dimension);
        await EmbedFromBaseAsync(datasetId, baseModel, trained, head, run.Id, cancellationToken);

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
        };
    }

    private static readonly JsonSerializerOptions ManifestOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

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
    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

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

    private async Task<EmbeddingModel> RegisterAsync(JobRun run, TrainParameters parameters, EmbeddingModel baseModel, EvaluationSplit split, LabelState labels, TrainingResult result, CancellationToken cancellationToken)
    {
        var head = result.Head;
        if (head.Residual)
        {
            throw new TrainingException(ResidualNotExportable);
        }

        List<DenseLayer> layers = head.Hidden > 0
            ? [new DenseLayer(head.Input, head.Hidden, head.W1, head.B1, Relu: true), new DenseLayer(head.Hidden, head.Output, head.W2, head.B2, Relu: false)]
            : [new DenseLayer(head.Input, head.Output, head.W1, head.B1, Relu: false)];
        var baseBytes = await File.ReadAllBytesAsync(OnnxEmbedder.ModelPath(storage.Value, baseModel.Sha256), cancellationToken);
        byte[] onnx;
        try
        {
            onnx = OnnxGraphEditor.AppendDenseLayers(baseBytes, baseModel.OutputName, layers, "embedding_trained");
        }
        catch (OnnxModelException ex)
        {
            throw new TrainingException($"could not add the trained head to {baseModel.Name}: {ex.Message}");
        }

        var model = await models.RegisterAsync(new ModelRegistration
        {
            Name = parameters.ModelName,
            Tensor = "embedding_trained",
            Preprocessing = baseModel.Preprocessing,
            ExpectedDimension = head.Output,
            Origin = $"trained: {baseModel.Label} + {(head.Hidden > 0 ? $"{head.Hidden}-unit ReLU + " : "")}{head.Output}-d head, split {split.Name}, job run {run.Id}",
            CreatedBy = run.StartedBy,
            // The head runs on the base's path: its vectors come from the base's stored ones.
            DeriveFloatVariant = false,
        }, onnx, cancellationToken);

        var manifest = new Dictionary<string, object?>
        {
            ["job_run_id"] = run.Id,
            ["base_model"] = new { name = baseModel.Name, version = baseModel.Version, sha256 = baseModel.Sha256, dimension = baseModel.Dimension },
            ["split"] = new { id = split.Id, name = split.Name, protocol = split.Protocol, seed = split.Seed, role_used = "training only" },
            ["labels_hash"] = labels.Hash,
            ["options"] = parameters.Options,
            ["training_images"] = result.TrainingImages,
            ["validation_images"] = result.ValidationImages,
            ["best_epoch"] = result.BestEpoch,
            ["epoch_choice"] = result.EpochChoice.ToString(),
            ["validation_note"] = result.ValidationNote,
            ["validation_precision_at10"] = Finite(result.BestValidationPrecisionAt10),
            ["seconds"] = Math.Round(result.Seconds, 2),
            ["curve"] = result.Curve.Select(e => new { epoch = e.Epoch, loss = e.Loss, validation_precision_at10 = Finite(e.ValidationPrecisionAt10), seconds = Math.Round(e.Seconds, 3) }),
            ["head"] = new { input = head.Input, hidden = head.Hidden, output = head.Output, residual = head.Residual },
            ["created_at"] = clock.GetUtcNow(),
        };
        var json = JsonSerializer.Serialize(manifest, ManifestOptions);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // RegisterAsync returns an existing version for identical bytes; only a fresh one is claimed by this run.
        await db.EmbeddingModels.Where(m => m.Id == model.Id && m.TrainingJobRunId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.TrainingJobRunId, run.Id).SetProperty(m => m.TrainingJson, json), cancellationToken);
        model = await db.EmbeddingModels.AsNoTracking().FirstAsync(m => m.Id == model.Id, cancellationToken);
        logger.LogInformation("Trained {Model} v{Version} from {Base}: validation P@10 {Validation:0.0000} at epoch {Epoch}", model.Name, model.Version, baseModel.Name, result.BestValidationPrecisionAt10, result.BestEpoch);
        return model;
    }

    /// <summary>The head as registered: read back from the ONNX file, so a resumed run uses exactly the exported weights.</summary>
    private ProjectionHead LoadHead(EmbeddingModel trained, int inputDimension)
    {
        var bytes = File.ReadAllBytes(OnnxEmbedder.ModelPath(storage.Value, trained.Sha256));
        return HeadWeights.Read(bytes, "embedding_trained", inputDimension);
    }

    /// <summary>
    /// New embeddings computed from stored base vectors through the head: the same numbers the ONNX model gives from
    /// pixels (a test checks), in a fraction of the time. Images without a base vector are left to the embed job.
    /// </summary>
    private async Task EmbedFromBaseAsync(int datasetId, EmbeddingModel baseModel, EmbeddingModel trained, ProjectionHead head, long jobRunId, CancellationToken cancellationToken)
    {
        const int Page = 2048;
        long after = 0;
        while (true)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var page = await db.Embeddings.AsNoTracking()
                .Where(e => e.ModelId == baseModel.Id && e.ImageId > after)
                .Join(db.Images.Where(i => i.DatasetId == datasetId), e => e.ImageId, i => i.Id, (e, i) => new { e.ImageId, e.Vector })
                .Where(x => !db.Embeddings.Any(t => t.ModelId == trained.Id && t.ImageId == x.ImageId))
                .OrderBy(x => x.ImageId).Take(Page).ToListAsync(cancellationToken);
            if (page.Count == 0)
            {
                return;
            }

            var now = clock.GetUtcNow();
            db.Embeddings.AddRange(page.Select(p => new ImageEmbedding
            {
                ImageId = p.ImageId,
                ModelId = trained.Id,
                Vector = VectorCodec.ToBytes(head.Embed(VectorCodec.FromBytes(p.Vector))),
                JobRunId = jobRunId,
                CreatedAt = now,
            }));
            await db.SaveChangesAsync(cancellationToken);
            after = page[^1].ImageId;
        }
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

        var (evaluation, job) = await evaluations.CreateRunAsync(new EvaluationRequest
        {
            DatasetId = datasetId,
            SplitId = splitId,
            ModelId = modelId,
            Ks = [1, 5, EvaluationK, 20],
            MainK = EvaluationK,
            StartedBy = startedBy,
        }, enqueue: false, cancellationToken);
        var summary = await executor.RunAsync(job.Id, async (r, p, ct) => (await evaluations.ExecuteAsync(r, p, ct), "done"), ex => ex is EvaluationException, cancellationToken);
        return summary is null
            ? throw new TrainingException($"the evaluation of model version {modelId} failed: {(await runs.FindAsync(job.Id, CancellationToken.None))?.Error}")
            : evaluation.Id;
    }
}
