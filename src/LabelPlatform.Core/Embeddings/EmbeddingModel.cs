using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Embeddings;

public enum ResizeMode
{
    /// <summary>Plain resize to the input size, aspect ratio not kept (what the seed article did).</summary>
    Stretch = 0,

    /// <summary>Shorter side to <see cref="Preprocessing.ResizeShorterSide"/>, then a centre crop to the input size.</summary>
    ShorterSideCenterCrop = 1,
}

public enum ChannelOrder
{
    Rgb = 0,
    Bgr = 1,
}

public enum TensorLayout
{
    Nchw = 0,
    Nhwc = 1,
}

/// <summary>How an image becomes the model's input tensor: value = (pixel * Scale - Mean[c]) / Std[c].</summary>
public sealed record Preprocessing
{
    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;
    public int InputWidth { get; init; } = 224;
    public int InputHeight { get; init; } = 224;

    /// <summary>For <see cref="ResizeMode.ShorterSideCenterCrop"/>; 0 means InputWidth / 0.875 (the usual 224 from 256).</summary>
    public int ResizeShorterSide { get; init; }

    public ChannelOrder Channels { get; init; } = ChannelOrder.Rgb;
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;
    public float Scale { get; init; } = 1f / 255f;
    public float[] Mean { get; init; } = [0.485f, 0.456f, 0.406f];
    public float[] Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>"#RRGGBB" that transparent pixels are composited onto before the model sees them (white, as thumbnails).</summary>
    public string Background { get; init; } = DefaultBackground;

    public const string DefaultBackground = "#FFFFFF";

    /// <summary>The background as a colour; rows stored before the setting existed read as white.</summary>
    public SixLabors.ImageSharp.Color BackgroundColor() => Images.ImageFlattening.ParseHex(Background ?? DefaultBackground) ?? SixLabors.ImageSharp.Color.White;

    /// <summary>ImageNet statistics on [0, 1] pixels, RGB, NCHW, 224x224 stretch: torchvision exports such as MobileNetV2.</summary>
    public static Preprocessing ImageNet => new();

    /// <summary>Why these values cannot work, or null.</summary>
    public string? Problem()
    {
        if (InputWidth is < 8 or > 2048 || InputHeight is < 8 or > 2048)
        {
            return $"input size {InputWidth}x{InputHeight} is out of range (8-2048)";
        }

        if (Mean.Length != 3 || Std.Length != 3)
        {
            return "mean and std need three values (one per channel)";
        }

        if (Std.Any(s => !(s > 0) || !float.IsFinite(s)) || Mean.Any(m => !float.IsFinite(m)) || !(Scale > 0) || !float.IsFinite(Scale))
        {
            return "scale and std must be positive and finite, mean finite";
        }

        if (Background is not null && Images.ImageFlattening.ParseHex(Background) is null)
        {
            return $"background '{Background}' is not a colour of the form #RRGGBB";
        }

        if (Resize == ResizeMode.ShorterSideCenterCrop && ResizeShorterSide != 0 && ResizeShorterSide < Math.Max(InputWidth, InputHeight))
        {
            return "the shorter side must be at least the crop size";
        }

        return null;
    }
}

/// <summary>
/// One registered version of an embedding model: an ONNX file in the data directory (content-addressed), the tensor
/// that holds the embedding and the preprocessing. Registering the same name again makes a new version; embeddings
/// belong to a version, so a new version never mixes with vectors of the old one.
/// </summary>
public class EmbeddingModel
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public int Version { get; set; }

    /// <summary>SHA-256 of the ONNX file the platform runs (the derived one when a pooled output was added).</summary>
    public required string Sha256 { get; set; }

    /// <summary>SHA-256 of the file as registered, before any graph edit.</summary>
    public required string SourceSha256 { get; set; }

    /// <summary>Where it came from: a path, a URL, an upload, or "built-in".</summary>
    public required string Origin { get; set; }

    public required string InputName { get; set; }
    public required string OutputName { get; set; }

    /// <summary>The intermediate tensor a GlobalAveragePool + Flatten output was derived from, when one was.</summary>
    public string? DerivedFromTensor { get; set; }

    public int Dimension { get; set; }

    /// <summary>Set when the model's batch dimension is fixed (e.g. 1 for the ResNet18 export).</summary>
    public int? FixedBatchSize { get; set; }

    public Preprocessing Preprocessing { get; set; } = new();

    /// <summary>For a trained model: the training job run that made it (a re-run of that job finds it instead of training again).</summary>
    public long? TrainingJobRunId { get; set; }

    /// <summary>For a trained model: its manifest (base model, split, seed, hyper-parameters, training curve, evaluation runs) as JSON.</summary>
    public string? TrainingJson { get; set; }

    /// <summary>
    /// How the model computes: <see cref="ExecutionPaths.Int8"/> for a quantized file, <see cref="ExecutionPaths.Float"/>
    /// otherwise. Null on rows registered before paths were recorded (their file is inspected on first use).
    /// </summary>
    public string? ExecutionPath { get; set; }

    /// <summary>Set on a float variant derived from a quantized model: the int8 row it was derived from (same name and version).</summary>
    public int? VariantOfId { get; set; }

    /// <summary>On a quantized model: which path search and embedding use (<see cref="PathChoices"/>); auto avoids int8 where it saturates.</summary>
    public string PathChoice { get; set; } = PathChoices.Auto;

    /// <summary>On a quantized model: why no float variant could be derived (the operators the conversion refused).</summary>
    public string? VariantProblem { get; set; }

    public string? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>"mobilenetv2 v1", with the path when the model has two ("mobilenetv2 v1 float").</summary>
    public string Label => ExecutionPath == ExecutionPaths.Int8 || VariantOfId is not null ? $"{Name} v{Version} {ExecutionPath}" : $"{Name} v{Version}";
}

/// <summary>How a model version computes its vectors.</summary>
public static class ExecutionPaths
{
    /// <summary>Float arithmetic: a float model, or the float variant of a quantized one.</summary>
    public const string Float = "float";

    /// <summary>8-bit integer operators as the quantized file has them (exact only where the CPU sums 8-bit products in 32 bits).</summary>
    public const string Int8 = "int8";
}

/// <summary>An admin's choice of path for a quantized model.</summary>
public static class PathChoices
{
    /// <summary>int8 where this CPU's 8-bit dot products are exact, the float variant elsewhere.</summary>
    public const string Auto = "auto";
    public const string Int8 = ExecutionPaths.Int8;
    public const string Float = ExecutionPaths.Float;

    public static readonly string[] All = [Auto, Int8, Float];
}

/// <summary>
/// An image's L2-normalised embedding under one model version, as little-endian float32 bytes. Unique per
/// (image, model version): a re-run or a retried chunk can never add a second one. <see cref="Id"/> grows with every
/// insert, so an in-memory index catches up by reading rows above the last id it saw.
/// </summary>
public class ImageEmbedding
{
    public long Id { get; set; }
    public long ImageId { get; set; }
    public int ModelId { get; set; }
    public required byte[] Vector { get; set; }

    /// <summary>The embed run that computed it (a resumed run recognises its own earlier work).</summary>
    public long? JobRunId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class EmbeddingOptions
{
    public const string Section = "Embeddings";

    /// <summary>ONNX Runtime sessions per model; 0 = one per core. Chosen with <see cref="ThreadsPerSession"/> by `bench embed`.</summary>
    [Range(0, 1024)]
    public int SessionsPerModel { get; set; }

    /// <summary>Intra-op threads of each session (1 = single-threaded sessions, which overlap with decoding).</summary>
    [Range(1, 1024)]
    public int ThreadsPerSession { get; set; } = 1;

    /// <summary>Images per inference call for models with a dynamic batch dimension.</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 8;

    /// <summary>Embeddings committed per transaction: the checkpoint a killed job resumes from.</summary>
    [Range(1, 1_000_000)]
    public int CommitEvery { get; set; } = 256;

    /// <summary>Largest model file accepted for registration (upload, path or URL).</summary>
    [Range(typeof(long), "1", "9223372036854775807")]
    public long MaxModelBytes { get; set; } = 500L * 1024 * 1024;

    /// <summary>Deadline for a whole model download by URL (it was Import:DownloadTimeout's 30 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Embed new images of a dataset automatically after an import, with the models it already has embeddings for (or the default model).</summary>
    public bool EmbedAfterImport { get; set; } = true;

    /// <summary>Model used when none is named: MobileNetV2 when registered, otherwise ResNet18 (works offline anywhere).</summary>
    [Required]
    public string DefaultModel { get; set; } = "mobilenetv2";

    /// <summary>
    /// Whether this machine's 8-bit dot products are exact, which decides the default path of quantized models; unset,
    /// it is read from the CPU (VNNI or AMX on x86). Set it to override the detection.
    /// </summary>
    public bool? Int8DotProductsExact { get; set; }

    /// <summary>Built-in models registered on demand; paths relative to the content root.</summary>
    public string MobileNetV2Path { get; set; } = "../shared/models/mobilenetv2/mobilenetv2-12-int8.onnx";
}
