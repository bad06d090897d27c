using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace LabelPlatform.Core.Hardware;

/// <summary>
/// The processor this process runs on, as far as numeric results depend on it: its model name and the vector
/// extensions (AVX2, AVX-512, VNNI, AMX) that decide which kernels ONNX Runtime and the SIMD code pick. Flags are read
/// from CPUID, named as Linux names them in /proc/cpuinfo, so they compare with the README's
/// <c>grep -o 'avx2\|avx512[a-z_]*\|avx_vnni' /proc/cpuinfo</c>.
/// </summary>
public sealed record CpuInfo(string Architecture, string Model, IReadOnlyList<string> Flags)
{
    public static CpuInfo Current { get; } = Detect();

    /// <summary>8-bit dot products accumulate in 32 bits (AVX-512 VNNI, AVX-VNNI or AMX-INT8 on x86; every Arm64 kernel).</summary>
    public bool HasExactInt8DotProducts => Architecture != "X64" && Architecture != "X86"
        || Flags.Contains("avx512_vnni") || Flags.Contains("avx_vnni") || Flags.Contains("amx_int8");

    /// <summary>"AMD EPYC (X64: avx2 avx512f ... avx512_vnni)", for manifests and job runs.</summary>
    public string Describe() => $"{Model} ({Architecture}: {(Flags.Count == 0 ? "no vector extensions" : string.Join(' ', Flags))})";

    private static CpuInfo Detect()
    {
        var architecture = RuntimeInformation.ProcessArchitecture.ToString();
        return new CpuInfo(architecture, ModelName() ?? architecture, X86Base.IsSupported ? X86Flags() : []);
    }

    private static string? ModelName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    private static List<string> X86Flags()
    {
        // Leaf 7 sub-leaf 0 (EBX, ECX, EDX) and sub-leaf 1 (EAX): the AVX2 / AVX-512 / VNNI / AMX feature bits.
        var flags = new List<string>();
        if (X86Base.CpuId(0, 0).Eax < 7)
        {
            return flags;
        }

        var (subLeaves, ebx, ecx, edx) = X86Base.CpuId(7, 0);
        var eax1 = subLeaves >= 1 ? X86Base.CpuId(7, 1).Eax : 0;
        void Add(string name, int register, int bit)
        {
            if ((register & (1 << bit)) != 0)
            {
                flags.Add(name);
            }
        }

        // The OS must save the wider registers too; the runtime's IsSupported checks both CPU and OS.
        if (Avx2.IsSupported)
        {
            flags.Add("avx2");
        }

        if (Avx512F.IsSupported)
        {
            Add("avx512f", ebx, 16);
            Add("avx512dq", ebx, 17);
            Add("avx512ifma", ebx, 21);
            Add("avx512cd", ebx, 28);
            Add("avx512bw", ebx, 30);
            Add("avx512vl", ebx, 31);
            Add("avx512vbmi", ecx, 1);
            Add("avx512_vbmi2", ecx, 6);
            Add("avx512_vnni", ecx, 11);
            Add("avx512_bitalg", ecx, 12);
            Add("avx512_vpopcntdq", ecx, 14);
            Add("avx512_fp16", edx, 23);
            Add("avx512_bf16", eax1, 5);
        }

        if (Avx2.IsSupported)
        {
            Add("avx_vnni", eax1, 4);
            Add("amx_bf16", edx, 22);
            Add("amx_tile", edx, 24);
            Add("amx_int8", edx, 25);
        }

        return flags;
    }
}
