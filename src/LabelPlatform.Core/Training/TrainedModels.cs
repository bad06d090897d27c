using LabelPlatform.Core.Labelling;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Core.Training;

/// <summary>
/// A trained head as a model: base graph + head exported into one ONNX file and registered as a new model version,
/// read back from that file, and applied to the base model's stored vectors to embed a dataset.
/// </summary>
public sealed class TrainedModels(
    IDbContextFactory<PlatformDbContext> contexts,
    ModelRegistry models,
    Microsoft.Extensions.Options.IOptions<StorageOptions> storage,
    TimeProvider clock,
    ILogger<TrainedModels> logger)
{
    public async Task<EmbeddingModel> RegisterAsync(JobRun run, TrainParameters parameters, EmbeddingModel baseModel, EvaluationSplit split, LabelState labels, TrainingResult result, CancellationToken cancellationToken)
    {
        var head = result.Head;
        List<DenseLayer> layers = head.Hidden > 0
            ? [new DenseLayer(head.Input, head.Hidden, head.W1, head.B1, Relu: true), new DenseLayer(head.Hidden, head.Output, head.W2, head.B2, Relu: false)]
            : [new DenseLayer(head.Input, head.Output, head.W1, head.B1, Relu: false)];
        var baseBytes = await File.ReadAllBytesAsync(OnnxEmbedder.ModelPath(storage.Value, baseModel.Sha256), cancellationToken);
        byte[] onnx;
        try
        {
            onnx = OnnxGraphEditor.AppendHead(baseBytes, baseModel.OutputName, new HeadGraph(layers, head.Residual, head.Correction, head.BaseShare), "embedding_trained");
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
            ExpectedDimension = head.EmbeddingDimension,
            Origin = $"trained: {baseModel.Label} + {(head.Residual ? "residual " : "")}{(head.Hidden > 0 ? $"{head.Hidden}-unit ReLU + " : "")}{head.Output}-d head, split {split.Name}, job run {run.Id}",
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
            ["validation_precision_at10"] = TrainingService.Finite(result.BestValidationPrecisionAt10),
            ["seconds"] = Math.Round(result.Seconds, 2),
            ["curve"] = result.Curve.Select(e => new { epoch = e.Epoch, loss = e.Loss, validation_precision_at10 = TrainingService.Finite(e.ValidationPrecisionAt10), seconds = Math.Round(e.Seconds, 3) }),
            ["head"] = new { input = head.Input, hidden = head.Hidden, output = head.Output, residual = head.Residual, correction = head.Correction, base_share = head.BaseShare, dimension = head.EmbeddingDimension },
            ["created_at"] = clock.GetUtcNow(),
        };
        var json = JsonSerializer.Serialize(manifest, TrainingService.ManifestOptions);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // RegisterAsync returns an existing version for identical bytes; only a fresh one is claimed by this run.
        await db.EmbeddingModels.Where(m => m.Id == model.Id && m.TrainingJobRunId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.TrainingJobRunId, run.Id).SetProperty(m => m.TrainingJson, json), cancellationToken);
        model = await db.EmbeddingModels.AsNoTracking().FirstAsync(m => m.Id == model.Id, cancellationToken);
        logger.LogInformation("Trained {Model} v{Version} from {Base}: validation P@10 {Validation:0.0000} at epoch {Epoch}", model.Name, model.Version, baseModel.Name, result.BestValidationPrecisionAt10, result.BestEpoch);
        return model;
    }

    /// <summary>The head as registered: read back from the ONNX file, so a resumed run uses exactly the exported weights.</summary>
    public ProjectionHead LoadHead(EmbeddingModel trained, int inputDimension)
    {
        var bytes = File.ReadAllBytes(OnnxEmbedder.ModelPath(storage.Value, trained.Sha256));
        return HeadWeights.Read(bytes, "embedding_trained", inputDimension);
    }

    /// <summary>
    /// New embeddings computed from stored base vectors through the head: the same numbers the ONNX model gives from
    /// pixels (a test checks), in a fraction of the time. Images without a base vector are left to the embed job.
    /// </summary>
    public async Task EmbedFromBaseAsync(int datasetId, EmbeddingModel baseModel, EmbeddingModel trained, ProjectionHead head, long jobRunId, CancellationToken cancellationToken)
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
}
