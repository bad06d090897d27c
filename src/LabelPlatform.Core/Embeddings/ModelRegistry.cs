using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Images;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

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
}

/// <summary>
/// The model registry: checks an ONNX file before it is accepted (one image-shaped float input, the named tensor
/// exists, one test image gives a finite vector of the right length), derives a pooled output when the tensor is an
/// intermediate feature map, and stores the file content-addressed under data/models. Nothing is stored when a
/// check fails. Two models are built in: ResNet18 (shipped with the build, offline anywhere) and MobileNetV2 (the
/// seed's model, registered from the shared int8 file when present, else by URL).
/// </summary>
public sealed class ModelRegistry(
    IDbContextFactory<PlatformDbContext> contexts,
    ArchiveDownloader downloader,
    IOptions<EmbeddingOptions> options,
    IOptions<StorageOptions> storage,
    TimeProvider clock,
    ILogger<ModelRegistry> logger)
{
    public const string ResNet18 = "resnet18";
    public const string MobileNetV2 = "mobilenetv2";
    public const string PooledOutputName = "embedding";

    private static readonly SemaphoreSlim BuiltInGate = new(1, 1);

    /// <summary>The latest version of each model name.</summary>
    public async Task<List<EmbeddingModel>> ListLatestAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var all = await db.EmbeddingModels.AsNoTracking().ToListAsync(cancellationToken);
        return [.. all.GroupBy(m => m.Name).Select(g => g.MaxBy(m => m.Version)!).OrderBy(m => m.Name, StringComparer.Ordinal)];
    }

    public async Task<EmbeddingModel?> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.EmbeddingModels.AsNoTracking().Where(m => m.Name == name).OrderByDescending(m => m.Version).FirstOrDefaultAsync(cancellationToken);
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

    /// <summary>The configured default model when it can be had, otherwise ResNet18 (always shipped).</summary>
    public async Task<EmbeddingModel> ResolveDefaultAsync(CancellationToken cancellationToken = default) =>
        await FindOrRegisterBuiltInAsync(options.Value.DefaultModel, cancellationToken)
        ?? await FindOrRegisterBuiltInAsync(ResNet18, cancellationToken)
        ?? throw new EmbeddingException("no embedding model is registered and the built-in ResNet18 file is missing from the build output");

    /// <summary>The named model (latest version; a built-in is registered on first use), or the default when no name is given.</summary>
    public async Task<EmbeddingModel?> ResolveAsync(string? name, CancellationToken cancellationToken = default) =>
        string.IsNullOrEmpty(name) ? await ResolveDefaultAsync(cancellationToken) : await FindOrRegisterBuiltInAsync(name, cancellationToken);

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
            await downloader.DownloadAsync(url, sha256, temp, null, cancellationToken, options.Value.MaxModelBytes);
            return await RegisterAsync(registration, await File.ReadAllBytesAsync(temp, cancellationToken), cancellationToken);
        }
        catch (ImportSourceException ex)
        {
            throw new EmbeddingException(ex.Message, ex);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Checks and stores a model; returns the new version (or the latest one when it is the same file and settings).</summary>
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
        IReadOnlyList<OnnxTensorInfo> tensors;
        try
        {
            tensors = OnnxGraphEditor.ListTensors(onnx);
        }
        catch (OnnxModelException ex)
        {
            throw new EmbeddingException($"not a usable ONNX model: {ex.Message}", ex);
        }

        var inputs = tensors.Where(t => t.Kind == "input").ToList();
        if (inputs.Count != 1)
        {
            throw new EmbeddingException($"the model has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => i.Name))}); one image input is needed");
        }

        var input = inputs[0];
        var fixedBatch = CheckInput(input, registration.Preprocessing);
        var target = tensors.FirstOrDefault(t => t.Name == registration.Tensor)
            ?? throw new EmbeddingException($"tensor '{registration.Tensor}' is not in the model; its outputs are: {string.Join(", ", tensors.Where(t => t.Kind == "output").Select(t => t.Name))}");

        var final = onnx;
        var outputName = target.Name;
        string? derivedFrom = null;
        var spatial = target.Shape is { Count: 4 } s && (s[2] != 1 || s[3] != 1);
        if (target.Kind != "output" || spatial)
        {
            outputName = tensors.Any(t => t.Name == PooledOutputName) ? $"{PooledOutputName}_{target.Name}" : PooledOutputName;
            try
            {
                final = OnnxGraphEditor.AddPooledOutput(onnx, target.Name, outputName);
            }
            catch (OnnxModelException ex)
            {
                throw new EmbeddingException($"could not add a pooled output to '{target.Name}': {ex.Message}", ex);
            }

            derivedFrom = target.Name;
        }

        var dimension = TryOneImage(final, input.Name, outputName, registration.Preprocessing, fixedBatch);
        if (registration.ExpectedDimension is { } expected && expected != dimension)
        {
            throw new EmbeddingException($"the model gives {dimension}-d vectors from '{outputName}'; {expected} were expected");
        }

        var sha = ImageValidator.Sha256Hex(final);
        var path = OnnxEmbedder.ModelPath(storage.Value, sha);
        await WriteOnceAsync(path, final, cancellationToken);
        // Two registrations of one name at once (two admins, two training jobs) both read the same latest version;
        // the unique (name, version) index lets one win, and the other takes the next number.
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            var latest = await db.EmbeddingModels.AsNoTracking().Where(m => m.Name == registration.Name).OrderByDescending(m => m.Version).FirstOrDefaultAsync(cancellationToken);
            if (latest is not null && latest.Sha256 == sha && latest.OutputName == outputName && SamePreprocessing(latest.Preprocessing, registration.Preprocessing))
            {
                return latest;
            }

            var model = new EmbeddingModel
            {
                Name = registration.Name,
                Version = (latest?.Version ?? 0) + 1,
                Sha256 = sha,
                SourceSha256 = sourceSha,
                Origin = registration.Origin,
                InputName = input.Name,
                OutputName = outputName,
                DerivedFromTensor = derivedFrom,
                Dimension = dimension,
                FixedBatchSize = fixedBatch,
                Preprocessing = registration.Preprocessing,
                CreatedBy = registration.CreatedBy,
                CreatedAt = clock.GetUtcNow(),
            };
            db.EmbeddingModels.Add(model);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (attempt < 5)
            {
                continue;
            }

            logger.LogInformation("Registered model {Name} v{Version} ({Dimension}-d, output {Output}{Derived})", model.Name, model.Version, model.Dimension, model.OutputName,
                derivedFrom is null ? "" : $" pooled from {derivedFrom}");
            return model;
        }
    }

    /// <summary>Checks the input against the preprocessing; returns the fixed batch size, if any.</summary>
    private static int? CheckInput(OnnxTensorInfo input, Preprocessing p)
    {
        if (!string.Equals(input.ElementType, "float", StringComparison.OrdinalIgnoreCase) && !string.Equals(input.ElementType, "Single", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(input.ElementType, "float32", StringComparison.OrdinalIgnoreCase))
        {
            throw new EmbeddingException($"input '{input.Name}' is {input.ElementType}; a float32 image tensor is needed");
        }

        if (input.Shape is not { Count: 4 } shape)
        {
            throw new EmbeddingException($"input '{input.Name}' is not a 4-D image tensor");
        }

        long[] expected = p.Layout == TensorLayout.Nchw ? [3, p.InputHeight, p.InputWidth] : [p.InputHeight, p.InputWidth, 3];
        for (var i = 0; i < 3; i++)
        {
            if (shape[i + 1] > 0 && shape[i + 1] != expected[i])
            {
                throw new EmbeddingException($"input '{input.Name}' expects [{string.Join(",", shape)}], the preprocessing makes [N,{string.Join(",", expected)}] ({p.Layout})");
            }
        }

        return shape[0] > 0 ? (int)shape[0] : null;
    }

    /// <summary>Runs one synthetic image through the model; returns the vector length.</summary>
    private static int TryOneImage(byte[] model, string inputName, string outputName, Preprocessing p, int? fixedBatch)
    {
        var batch = fixedBatch ?? 1;
        var perImage = ImagePreprocessor.InputLength(p);
        var inputs = new float[batch * perImage];
        using (var image = new Image<Rgb24>(97, 61))
        {
            for (var y = 0; y < image.Height; y++)
            {
                for (var x = 0; x < image.Width; x++)
                {
                    image[x, y] = new Rgb24((byte)(x * 2), (byte)(y * 4), (byte)(x + y));
                }
            }

            ImagePreprocessor.Fill(image, p, inputs.AsSpan(0, perImage));
        }

        try
        {
            using var sessionOptions = OnnxEmbedder.SingleThreaded();
            using var session = new InferenceSession(model, sessionOptions);
            long[] shape = p.Layout == TensorLayout.Nchw ? [batch, 3, p.InputHeight, p.InputWidth] : [batch, p.InputHeight, p.InputWidth, 3];
            using var value = OrtValue.CreateTensorValueFromMemory(inputs, shape);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [inputName], [value], [outputName]);
            var vector = outputs[0].GetTensorDataAsSpan<float>();
            var dimension = vector.Length / batch;
            var first = vector[..dimension].ToArray();
            if (dimension < 2 || first.Any(v => !float.IsFinite(v)) || !VectorCodec.Normalize(first))
            {
                throw new EmbeddingException($"a test image gave an unusable vector from '{outputName}' (length {dimension}, zero or not finite)");
            }

            return dimension;
        }
        catch (OnnxRuntimeException ex)
        {
            throw new EmbeddingException($"ONNX Runtime could not run the model on a test image: {ex.Message}", ex);
        }
    }

    // Records compare their arrays (mean, std) by reference; compare the values.
    private static bool SamePreprocessing(Preprocessing a, Preprocessing b) =>
        System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);

    private static async Task WriteOnceAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        if (File.Exists(path))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temp, bytes, cancellationToken);
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
    }

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
