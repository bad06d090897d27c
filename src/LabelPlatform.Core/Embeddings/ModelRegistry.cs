using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Embeddings;

/// <summary>What to register: the model file comes separately (bytes, a path or a URL).</summary>
public sealed record ModelRegistration
{
    public required string Name { get; init; }

    /// <summary>The tensor that holds the embedding: a graph output, or an intermediate 4-D feature map to pool.</summary>
    public required string Tensor { get; init; }

    public Preprocessing Preprocessing { get; init; } = Preprocessing.ImageNet;

    /// <summary>When given, registration is refused unless the model produces vectors of this length.</summary>
    public int? ExpectedDimension { get; init; }

    public required string Origin { get; init; }
    public string? CreatedBy { get; init; }

    /// <summary>A quantized model gets a float variant beside it (trained heads, computed from stored vectors, do not).</summary>
    public bool DeriveFloatVariant { get; init; } = true;
}

/// <summary>
/// The model registry: checks an ONNX file before it is accepted (one image-shaped float input, the named tensor
/// exists, a check image gives a finite vector of the right length), derives a pooled output when the tensor is an
/// intermediate feature map, and stores the file content-addressed under data/models. Nothing is stored when a
/// check fails. A quantized model is registered with its float variant (<see cref="FloatVariants"/>); which of the two
/// runs is decided per machine by <see cref="EffectiveAsync"/>. Two models are built in: ResNet18 (shipped with the
/// build, offline anywhere) and MobileNetV2 (the seed's model, registered from the shared int8 file when present, else by URL).
/// </summary>
public sealed class ModelRegistry(
    IDbContextFactory<PlatformDbContext> contexts,
    FileDownloader downloader,
    FloatVariants variants,
    ModelCheckImages checks,
    InferenceHardware hardware,
    IOptions<EmbeddingOptions> options,
    IOptions<StorageOptions> storage,
    TimeProvider clock,
    ILogger<ModelRegistry> logger)
{
    public const string ResNet18 = "resnet18";
    public const string MobileNetV2 = "mobilenetv2";
    public const string PooledOutputName = ModelFileCheck.PooledOutputName;

    private static readonly SemaphoreSlim BuiltInGate = new(1, 1);

    /// <summary>The latest version of each model name, on the path this machine uses for it (<see cref="EffectiveAsync"/>).</summary>
    public async Task<List<EmbeddingModel>> ListLatestAsync(CancellationToken cancellationToken = default)
    {
        var latest = await ListLatestRegisteredAsync(cancellationToken);
        var effective = new List<EmbeddingModel>(latest.Count);
        foreach (var model in latest)
        {
            effective.Add(await EffectiveAsync(model, cancellationToken));
        }

        return effective;
    }

    /// <summary>The latest registered version of each model name (quantized ones as int8, their variants left out).</summary>
    public async Task<List<EmbeddingModel>> ListLatestRegisteredAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var all = await db.EmbeddingModels.AsNoTracking().Where(m => m.VariantOfId == null).ToListAsync(cancellationToken);
        return [.. all.GroupBy(m => m.Name).Select(g => g.MaxBy(m => m.Version)!).OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    /// <summary>The latest registered version of <paramref name="name"/> (a quantized model as its int8 row).</summary>
    public async Task<EmbeddingModel?> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.EmbeddingModels.AsNoTracking().Where(m => m.Name == name && m.VariantOfId == null).OrderByDescending(m => m.Version).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<EmbeddingModel?> FindByIdAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, cancellationToken);
    }

    /// <summary>The latest version of <paramref name="name"/>; a built-in model is registered on first use.</summary>
    public async Task<EmbeddingModel?> FindOrRegisterBuiltInAsync(string name, CancellationToken cancellationToken = default)
    {
        var found = await FindAsync(name, cancellationToken);
        if (found is not null || BuiltIn(name) is not { } builtIn || !File.Exists(builtIn.Path))
        {
            return found;
        }

        await BuiltInGate.WaitAsync(cancellationToken);
        try
        {
            return await FindAsync(name, cancellationToken) ?? await RegisterFromPathAsync(builtIn.Registration, builtIn.Path, cancellationToken);
        }
        finally
        {
            BuiltInGate.Release();
        }
    }

    /// <summary>The configured default model when it can be had, otherwise ResNet18 (always shipped), on this machine's path.</summary>
    public async Task<EmbeddingModel> ResolveDefaultAsync(CancellationToken cancellationToken = default) =>
        await EffectiveAsync(
            await FindOrRegisterBuiltInAsync(options.Value.DefaultModel, cancellationToken)
            ?? await FindOrRegisterBuiltInAsync(ResNet18, cancellationToken)
            ?? throw new EmbeddingException("no embedding model is registered and the built-in ResNet18 file is missing from the build output"),
            cancellationToken);

    /// <summary>
    /// The named model (latest version; a built-in is registered on first use), or the default when no name is given,
    /// on the path this machine uses for it. "name:int8" and "name:float" ask for a path explicitly (names cannot hold
    /// a colon); a path the model does not have is refused.
    /// </summary>
    public Task<EmbeddingModel?> ResolveAsync(string? name, CancellationToken cancellationToken = default) => ResolveAsync(name, registerBuiltIn: true, cancellationToken);

    /// <summary>
    /// As <see cref="ResolveAsync(string?, CancellationToken)"/>, but only among registered models: a page answering
    /// a GET must not register a built-in model as a side effect of a link.
    /// </summary>
    public Task<EmbeddingModel?> ResolveRegisteredAsync(string name, CancellationToken cancellationToken = default) => ResolveAsync(name, registerBuiltIn: false, cancellationToken);

    private async Task<EmbeddingModel?> ResolveAsync(string? name, bool registerBuiltIn, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(name))
        {
            return await ResolveDefaultAsync(cancellationToken);
        }

        var colon = name.LastIndexOf(':');
        var path = colon < 0 ? null : name[(colon + 1)..];
        var bare = colon < 0 ? name : name[..colon];
        if (await (registerBuiltIn ? FindOrRegisterBuiltInAsync(bare, cancellationToken) : FindAsync(bare, cancellationToken)) is not { } model)
        {
            return null;
        }

        model = await variants.EnsureInspectedAsync(model, cancellationToken);
        return path switch
        {
            null => await EffectiveAsync(model, cancellationToken),
            _ when path == model.ExecutionPath => model,
            ExecutionPaths.Float when model.ExecutionPath == ExecutionPaths.Int8 => await variants.FindAsync(model.Id, cancellationToken)
                ?? throw new EmbeddingException($"{model.Label} has no float variant: {model.VariantProblem ?? "none was derived"}"),
            _ => throw new EmbeddingException($"{model.Label} has no '{path}' path (it is {model.ExecutionPath}{(model.ExecutionPath == ExecutionPaths.Int8 ? ", with a float variant" : "")})"),
        };
    }

    /// <summary>
    /// The row search, embedding and evaluation use for a registered model: a quantized model's float variant where
    /// int8 would saturate on this CPU or an admin chose it, the model itself otherwise.
    /// </summary>
    public async Task<EmbeddingModel> EffectiveAsync(EmbeddingModel model, CancellationToken cancellationToken = default)
    {
        if (model.VariantOfId is not null)
        {
            return model;
        }

        model = await variants.EnsureInspectedAsync(model, cancellationToken);
        if (model.ExecutionPath != ExecutionPaths.Int8 || hardware.PathFor(model.PathChoice) == ExecutionPaths.Int8)
        {
            return model;
        }

        return await variants.FindAsync(model.Id, cancellationToken) ?? model;
    }

    /// <summary>Built-in models whose files are present here and not yet registered (the Models page offers them).</summary>
    public IEnumerable<string> AvailableBuiltIns() => new[] { MobileNetV2, ResNet18 }.Where(n => BuiltIn(n) is { } b && File.Exists(b.Path));

    public async Task<EmbeddingModel> RegisterFromPathAsync(ModelRegistration registration, string path, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new EmbeddingException($"model file '{path}' does not exist");
        }

        if (file.Length > options.Value.MaxModelBytes)
        {
            throw new EmbeddingException($"model file is {file.Length:N0} bytes, over the {options.Value.MaxModelBytes:N0} byte cap");
        }

        return await RegisterAsync(registration, await File.ReadAllBytesAsync(path, cancellationToken), cancellationToken);
    }

    public async Task<EmbeddingModel> RegisterFromUrlAsync(ModelRegistration registration, string url, string? sha256, CancellationToken cancellationToken = default)
    {
        var temp = Path.Combine(storage.Value.StagingPath, $"model-{Guid.NewGuid():N}.onnx");
        try
        {
            await downloader.DownloadAsync(url, sha256, temp, options.Value.MaxModelBytes, options.Value.DownloadTimeout, null, cancellationToken);
            return await RegisterAsync(registration, await File.ReadAllBytesAsync(temp, cancellationToken), cancellationToken);
        }
        catch (DownloadException ex)
        {
            throw new EmbeddingException(ex.Message, ex);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Checks and stores a model; returns the new version (or the latest one when it is the same file and settings).
    /// A quantized model also gets its float variant, registered beside it under the same name and version.
    /// </summary>
    public async Task<EmbeddingModel> RegisterAsync(ModelRegistration registration, byte[] onnx, CancellationToken cancellationToken = default)
    {
        if (!DatasetService.IsValidName(registration.Name))
        {
            throw new EmbeddingException($"'{registration.Name}' is not a valid model name: use 1-100 letters, digits, '-', '_' or '.'");
        }

        if (registration.Preprocessing.Problem() is { } problem)
        {
            throw new EmbeddingException($"preprocessing: {problem}");
        }

        if (onnx.LongLength > options.Value.MaxModelBytes)
        {
            throw new EmbeddingException($"model file is {onnx.LongLength:N0} bytes, over the {options.Value.MaxModelBytes:N0} byte cap");
        }

        var sourceSha = ImageValidator.Sha256Hex(onnx);
        var checkImages = await checks.AllAsync(registration.Preprocessing, cancellationToken);
        var model = ModelFileCheck.Check(registration, onnx, checkImages[0]);
        var sha = ImageValidator.Sha256Hex(model.Onnx);
        await ModelFiles.WriteOnceAsync(OnnxEmbedder.ModelPath(storage.Value, sha), model.Onnx, cancellationToken);
        // Two registrations of one name at once (two admins, two training jobs) both read the same latest version;
        // the unique (name, version, path) index lets one win, and the other takes the next number.
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var latest = await db.EmbeddingModels.AsNoTracking().Where(m => m.Name == registration.Name && m.VariantOfId == null)
                .OrderByDescending(m => m.Version).FirstOrDefaultAsync(cancellationToken);
            if (latest is not null && latest.Sha256 == sha && latest.OutputName == model.OutputName && SamePreprocessing(latest.Preprocessing, registration.Preprocessing))
            {
                return await variants.EnsureInspectedAsync(latest, cancellationToken);
            }

            var row = new EmbeddingModel
            {
                Name = registration.Name,
                Version = (latest?.Version ?? 0) + 1,
                Sha256 = sha,
                SourceSha256 = sourceSha,
                Origin = registration.Origin,
                InputName = model.InputName,
                OutputName = model.OutputName,
                DerivedFromTensor = model.DerivedFromTensor,
                Dimension = model.Dimension,
                FixedBatchSize = model.FixedBatchSize,
                Preprocessing = registration.Preprocessing,
                ExecutionPath = model.Quantized ? ExecutionPaths.Int8 : ExecutionPaths.Float,
                CreatedBy = registration.CreatedBy,
                CreatedAt = clock.GetUtcNow(),
            };
            db.EmbeddingModels.Add(row);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (attempt < 5)
            {
                continue;
            }

            logger.LogInformation("Registered model {Name} v{Version} ({Dimension}-d, output {Output}{Derived}, {Path})", row.Name, row.Version, row.Dimension, row.OutputName,
                model.DerivedFromTensor is null ? "" : $" pooled from {model.DerivedFromTensor}", row.ExecutionPath);
            if (model.Quantized && registration.DeriveFloatVariant)
            {
                await variants.AddAsync(row, model.Onnx, checkImages, cancellationToken);
            }

            return row;
        }
    }

    // Records compare their arrays (mean, std) by reference; compare the values.
    private static bool SamePreprocessing(Preprocessing a, Preprocessing b) =>
        System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);

    private (ModelRegistration Registration, string Path)? BuiltIn(string name) => name switch
    {
        ResNet18 => (new ModelRegistration
        {
            Name = ResNet18,
            Tensor = "Pooling395_Output_0",
            // The package's ResNetPreprocess.onnx (not shipped to the output) turns 0-255 RGB planes into BGR planes
            // minus a per-pixel mean image; these are that image's channel averages (B, G, R), measured by running it.
            Preprocessing = new Preprocessing { Channels = ChannelOrder.Bgr, Scale = 1f, Mean = [103.0626f, 115.9029f, 123.1516f], Std = [1f, 1f, 1f] },
            ExpectedDimension = 512,
            Origin = "built-in: NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1",
            CreatedBy = "system",
        }, Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")),
        MobileNetV2 => (new ModelRegistration
        {
            Name = MobileNetV2,
            Tensor = "627",
            Preprocessing = Preprocessing.ImageNet,
            ExpectedDimension = 1280,
            Origin = $"built-in: {options.Value.MobileNetV2Path}",
            CreatedBy = "system",
        }, Path.GetFullPath(Path.Combine(storage.Value.ContentRoot, options.Value.MobileNetV2Path))),
        _ => null,
    };
}
