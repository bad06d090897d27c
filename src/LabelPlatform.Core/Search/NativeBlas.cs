using System.Runtime.InteropServices;

namespace LabelPlatform.Core.Search;

/// <summary>
/// Debian's OpenBLAS (libopenblas0-pthread) through P/Invoke, when it is installed. Measured on the 2-core AVX-512
/// benchmark VM (CPU time, one thread, 256 x 2048 x 1280): its sgemm ~85-90 GFLOP/s, <see cref="GemmKernel"/>
/// ~65 (0.7-0.78x), so evaluation scores through it where present and through GemmKernel where not. Batch search
/// keeps GemmKernel: its scores are bit-identical to the single-query scan's, sgemm's are not.
/// </summary>
public static class NativeBlas
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    private static readonly Lazy<bool> Loaded = new(() =>
    {
        if (!NativeLibrary.TryLoad(Library, typeof(NativeBlas).Assembly, null, out _))
        {
            return false;
        }

        // Callers parallelise over blocks themselves; OpenBLAS's own threads on top would oversubscribe the cores.
        SetNumThreads(1);
        return true;
    });

    /// <summary>Whether libopenblas.so.0 could be loaded (apt-get install libopenblas0-pthread).</summary>
    public static bool Available => Loaded.Value;

    /// <summary>c[i * ldc + j] = a row i · b row j (a: m x d, b: n x d, both row-major): C = A·Bᵀ by sgemm.</summary>
    /// <exception cref="InvalidOperationException">The library is not installed.</exception>
    public static void Multiply(ReadOnlySpan<float> a, int m, ReadOnlySpan<float> b, int n, int d, Span<float> c, int ldc)
    {
        if (!Available)
        {
            throw new InvalidOperationException($"{Library} is not installed.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, Math.Max(1, n));
        if (m <= 0 || n <= 0)
        {
            return;
        }

        if (a.Length < (long)m * d || b.Length < (long)n * d || c.Length < ((long)(m - 1) * ldc) + n)
        {
            throw new ArgumentException("An operand is shorter than its stated size.");
        }

        Sgemm(RowMajor, NoTrans, Trans, m, n, d, 1f, ref MemoryMarshal.GetReference(a), d, ref MemoryMarshal.GetReference(b), d, 0f, ref MemoryMarshal.GetReference(c), ldc);
    }

    /// <summary>OpenBLAS's own threads per call (benchmarks measure it at the core count; 1 otherwise).</summary>
    public static void SetThreads(int threads)
    {
        if (Available)
        {
            SetNumThreads(Math.Max(1, threads));
        }
    }

    [DllImport(Library, EntryPoint = "cblas_sgemm", CallingConvention = CallingConvention.Cdecl)]
    private static extern void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, ref float a, int lda, ref float b, int ldb, float beta, ref float c, int ldc);

    [DllImport(Library, EntryPoint = "openblas_set_num_threads", CallingConvention = CallingConvention.Cdecl)]
    private static extern void SetNumThreads(int threads);
}
