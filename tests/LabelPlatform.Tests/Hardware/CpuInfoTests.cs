using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Hardware;

namespace LabelPlatform.Tests.Hardware;

public class CpuInfoTests
{
    [Fact]
    public void Flags_read_from_CPUID_are_the_ones_Linux_reports()
    {
        var cpu = CpuInfo.Current;
        if (!File.Exists("/proc/cpuinfo") || cpu.Architecture != "X64")
        {
            Assert.True(cpu.HasExactInt8DotProducts || cpu.Architecture == "X64");
            return;
        }

        var linux = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(':')[1]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        Assert.All(cpu.Flags, flag => Assert.Contains(flag, linux));
        // Every flag the README's grep finds (and the runtime can use) is found here too.
        var readme = linux.Where(f => f == "avx2" || f == "avx_vnni" || (f.StartsWith("avx512", StringComparison.Ordinal) && f != "avx512_vp2intersect"));
        Assert.All(readme, flag => Assert.Contains(flag, cpu.Flags));
        Assert.Equal(linux.Contains("avx512_vnni") || linux.Contains("avx_vnni") || linux.Contains("amx_int8"), cpu.HasExactInt8DotProducts);
    }

    [Theory]
    [InlineData("X64", "avx2", false)]
    [InlineData("X64", "avx2 avx512f avx512bw", false)]
    [InlineData("X64", "avx2 avx512f avx512_vnni", true)]
    [InlineData("X64", "avx2 avx_vnni", true)]
    [InlineData("X64", "avx2 amx_int8", true)]
    [InlineData("Arm64", "", true)]
    public void Int8_products_are_exact_with_VNNI_or_AMX_and_on_Arm(string architecture, string flags, bool exact)
    {
        var cpu = new CpuInfo(architecture, "test CPU", flags.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(exact, cpu.HasExactInt8DotProducts);
    }

    [Theory]
    [InlineData(null, PathChoices.Auto)]
    [InlineData(true, PathChoices.Auto)]
    [InlineData(false, PathChoices.Auto)]
    [InlineData(false, PathChoices.Int8)]
    [InlineData(true, PathChoices.Float)]
    public void A_quantized_model_takes_the_float_path_where_int8_saturates_or_when_chosen(bool? configured, string choice)
    {
        var hardware = new InferenceHardware(Microsoft.Extensions.Options.Options.Create(new EmbeddingOptions { Int8DotProductsExact = configured }));
        var exact = configured ?? CpuInfo.Current.HasExactInt8DotProducts;

        var expected = choice switch
        {
            PathChoices.Int8 => ExecutionPaths.Int8,
            PathChoices.Float => ExecutionPaths.Float,
            _ => exact ? ExecutionPaths.Int8 : ExecutionPaths.Float,
        };
        Assert.Equal(expected, hardware.PathFor(choice));
        Assert.Equal(exact, hardware.Int8Exact);
        Assert.Contains(configured is null ? (exact ? "exact" : "saturate") : "configuration", hardware.Explanation, StringComparison.Ordinal);
    }
}
