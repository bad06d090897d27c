using LabelPlatform.Core.Hardware;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Embeddings;

/// <summary>
/// Whether int8 models compute exactly on this machine, and so which path a quantized model takes by default. ONNX
/// Runtime multiplies uint8 activations by int8 weights; on x86 without VNNI (or AMX) it sums each pair of products
/// with VPMADDUBSW into a saturating int16 (255 x 127 x 2 = 64,770 is clamped to 32,767), so the same file gives other
/// vectors there. VNNI sums in 32 bits. <see cref="EmbeddingOptions.Int8DotProductsExact"/> overrides the detection.
/// </summary>
public sealed class InferenceHardware(IOptions<EmbeddingOptions> options)
{
    public static CpuInfo Cpu => CpuInfo.Current;

    public bool Int8Exact => options.Value.Int8DotProductsExact ?? Cpu.HasExactInt8DotProducts;

    /// <summary>Whether <see cref="Int8Exact"/> comes from configuration rather than from the CPU.</summary>
    public bool Overridden => options.Value.Int8DotProductsExact is not null;

    public string Explanation => (Int8Exact, Overridden) switch
    {
        (_, true) => $"set by configuration (Embeddings:Int8DotProductsExact = {Int8Exact.ToString().ToLowerInvariant()}); the CPU {(Cpu.HasExactInt8DotProducts ? "has" : "lacks")} VNNI",
        (true, _) when Cpu.Architecture is "X64" or "X86" => "8-bit dot products are exact here: the CPU sums them in 32 bits (VNNI/AMX)",
        (true, _) => $"8-bit dot products are exact on {Cpu.Architecture}",
        _ => "8-bit dot products saturate here: without VNNI, x86 sums pairs of u8 x s8 products into int16 (VPMADDUBSW)",
    };

    /// <summary>The path a quantized model with this choice runs on here.</summary>
    public string PathFor(string choice) => choice switch
    {
        PathChoices.Int8 => ExecutionPaths.Int8,
        PathChoices.Float => ExecutionPaths.Float,
        _ => Int8Exact ? ExecutionPaths.Int8 : ExecutionPaths.Float,
    };
}
