using System.Runtime.InteropServices;

namespace LabelPlatform.Tools;

/// <summary>
/// Debian's OpenBLAS (libopenblas0-pthread) through P/Invoke, as the ceiling the benches print beside our kernel.
/// Absent libraries are reported, not fatal: <see cref="Available"/> is false and the benches skip the column.
/// </summary>
internal static partial class OpenBlas
{
    private const string Library = "libopenblas.so.0";
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    public static bool Available { get; } = NativeLibrary.TryLoad(Library, out _);

    /// <summary>c (m x n, row stride ldc) = a (m x d) · bᵀ (b is n x d, row-major): the same product as GemmKernel.</summary>
    public static void MultiplyTransposed(float[] a, int aOffset, int m, float[] b, int bOffset, int n, int d, float[] c, int ldc)
    {
        cblas_sgemm(RowMajor, NoTrans, Trans, m, n, d, 1f, ref a[aOffset], d, ref b[bOffset], d, 0f, ref c[0], ldc);
    }

    public static void SetThreads(int threads) => openblas_set_num_threads(threads);

    public static string Config() => Marshal.PtrToStringAnsi(openblas_get_config()) ?? "?";

    [LibraryImport(Library)]
    private static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, ref float a, int lda, ref float b, int ldb, float beta, ref float c, int ldc);

    [LibraryImport(Library)]
    private static partial void openblas_set_num_threads(int threads);

    [LibraryImport(Library)]
    private static partial IntPtr openblas_get_config();
}
