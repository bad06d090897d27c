using LabelPlatform.Core.Data;
using LabelPlatform.Core.Images;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Embeddings;

/// <summary>
/// The float variants of quantized models (<see cref="OnnxDequantizer"/>): derived when a quantized model is
/// registered, checked on real images against the exact int8 path, stored as a row of their own under the same name
/// and version (so their vectors never mix with the int8 ones), and chosen per model by an admin.
/// </summary>
public sealed class FloatVariants(
    IDbContextFactory<PlatformDbContext> contexts,
    ModelCheckImages checks,
    IOptions<StorageOptions> storage,
    TimeProvider clock,
    ILogger<FloatVariants> logger)
{
    /// <summary>
    /// Least cosine between the float variant and the exact int8 path on any check image. Rounding the activations to
    /// 8 bits at every layer leaves 0.95-0.99 on real photos; a conversion that lost the ReLU clamps gives about 0.
    /// </summary>
    public const double MinCosine = 0.9;

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public async Task<EmbeddingModel?> FindAsync(int modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.VariantOfId == modelId, cancellationToken);
    }

    /// <summary>The float model and how close it came to the exact int8 path on the check images.</summary>
    public sealed record Derived(byte[] Onnx, double WorstCosine, double MeanCosine, int Images);

    public static Derived Derive(EmbeddingModel primary, byte[] int8, IReadOnlyList<float[]> checkImages)
    {
        byte[] converted;
        try
        {
            converted = OnnxDequantizer.ToFloat(int8);
        }
        catch (OnnxModelException ex)
        {
            throw new EmbeddingException(ex.Message, ex);
        }

        var cosines = new List<double>(checkImages.Count);
        using (var exact = new ModelProbe(int8, primary.InputName, primary.OutputName, primary.Preprocessing, primary.FixedBatchSize, precise: true))
        using (var variant = new ModelProbe(converted, primary.InputName, primary.OutputName, primary.Preprocessing, primary.FixedBatchSize, precise: false))
        {
            foreach (var image in checkImages)
            {
                cosines.Add(System.Numerics.Tensors.TensorPrimitives.Dot(exact.Embed(image), variant.Embed(image)));
            }
        }

        var worst = cosines.Min();
        return worst < MinCosine
            ? throw new EmbeddingException($"the float variant departs from the int8 model: cosine {worst:0.0000} on a check image, at least {MinCosine} is needed")
            : new Derived(converted, worst, cosines.Average(), cosines.Count);
    }

    /// <summary>
    /// Derives, checks and registers the float variant of a quantized model; when the conversion is refused, the
    /// reason is kept on the model (the Models page shows it) and the model stays int8 only.
    /// </summary>
    public async Task AddAsync(EmbeddingModel primary, byte[] int8, IReadOnlyList<float[]> checkImages, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Derived variant;
        try
        {
            variant = Derive(primary, int8, checkImages);
        }
        catch (EmbeddingException ex)
        {
            logger.LogWarning("No float variant for {Model}: {Reason}", primary.Label, ex.Message);
            await db.EmbeddingModels.Where(m => m.Id == primary.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.VariantProblem, ex.Message), cancellationToken);
            primary.VariantProblem = ex.Message;
            return;
        }

        var sha = ImageValidator.Sha256Hex(variant.Onnx);
        await ModelFiles.WriteOnceAsync(OnnxEmbedder.ModelPath(storage.Value, sha), variant.Onnx, cancellationToken);
        db.EmbeddingModels.Add(new EmbeddingModel
        {
            Name = primary.Name,
            Version = primary.Version,
            Sha256 = sha,
            SourceSha256 = primary.SourceSha256,
            Origin = $"float variant of {primary.Label}: weights dequantized, quantized operators replaced by float ones clipped to their output ranges; "
                + $"cosine to the exact int8 path {variant.WorstCosine:0.0000} (worst) / {variant.MeanCosine:0.0000} (mean) on {variant.Images} check images",
            InputName = primary.InputName,
            OutputName = primary.OutputName,
            DerivedFromTensor = primary.DerivedFromTensor,
            Dimension = primary.Dimension,
            FixedBatchSize = primary.FixedBatchSize,
            Preprocessing = primary.Preprocessing,
            ExecutionPath = ExecutionPaths.Float,
            VariantOfId = primary.Id,
            CreatedBy = primary.CreatedBy,
            CreatedAt = clock.GetUtcNow(),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Registered the float variant of {Model} (cosine to exact int8: worst {Cosine:0.0000} on {Images} check images)", primary.Label, variant.WorstCosine, variant.Images);
        }
        catch (DbUpdateException)
        {
            // Derived at the same moment by another process: its row holds the same file.
        }
    }

    /// <summary>
    /// A row from before execution paths were recorded: its file is read once to tell int8 from float, and a quantized
    /// one gets its float variant then. Rows that know their path are returned as they are.
    /// </summary>
    public async Task<EmbeddingModel> EnsureInspectedAsync(EmbeddingModel model, CancellationToken cancellationToken)
    {
        if (model.ExecutionPath is not null || model.VariantOfId is not null)
        {
            return model;
        }

        var path = OnnxEmbedder.ModelPath(storage.Value, model.Sha256);
        if (!File.Exists(path))
        {
            return model;
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        var quantized = OnnxDequantizer.IsQuantized(bytes);
        model.ExecutionPath = quantized ? ExecutionPaths.Int8 : ExecutionPaths.Float;
        await Gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var claimed = await db.EmbeddingModels.Where(m => m.Id == model.Id && m.ExecutionPath == null)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ExecutionPath, model.ExecutionPath), cancellationToken);
            if (claimed == 1 && quantized && model.TrainingJobRunId is null)
            {
                await AddAsync(model, bytes, await checks.AllAsync(model.Preprocessing, cancellationToken), cancellationToken);
            }
        }
        finally
        {
            Gate.Release();
        }

        return model;
    }

    /// <summary>An admin's choice of path for a quantized model (auto, int8 or float).</summary>
    public async Task SetChoiceAsync(int modelId, string choice, CancellationToken cancellationToken = default)
    {
        if (!PathChoices.All.Contains(choice))
        {
            throw new EmbeddingException($"'{choice}' is not a path choice (use {string.Join(", ", PathChoices.All)})");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var model = await db.EmbeddingModels.FirstOrDefaultAsync(m => m.Id == modelId && m.VariantOfId == null, cancellationToken)
            ?? throw new EmbeddingException($"model version {modelId} does not exist");
        if (model.ExecutionPath != ExecutionPaths.Int8)
        {
            throw new EmbeddingException($"{model.Label} is not quantized: it has one path");
        }

        if (choice == PathChoices.Float && !await db.EmbeddingModels.AnyAsync(m => m.VariantOfId == modelId, cancellationToken))
        {
            throw new EmbeddingException($"{model.Label} has no float variant: {model.VariantProblem ?? "none was derived"}");
        }

        model.PathChoice = choice;
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("{Model} now runs with path choice {Choice}", model.Label, choice);
    }
}
