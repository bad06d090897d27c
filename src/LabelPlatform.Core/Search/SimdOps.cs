using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LabelPlatform.Core.Search;

/// <summary>
/// One kernel for every vector width: the JIT specialises a generic method per struct and inlines these, so the
/// AVX-512, AVX2 and SSE paths are the same source (and tests can run the AVX2 path on an AVX-512 machine).
/// </summary>
internal interface ISimd<TVector>
    where TVector : struct
{
    static abstract int Width { get; }

    static abstract TVector Load(ref float source, nuint offset);

    static abstract void Store(TVector vector, ref float destination, nuint offset);

    static abstract TVector MultiplyAdd(TVector left, TVector right, TVector addend);

    static abstract TVector Add(TVector left, TVector right);

    /// <summary>The horizontal sum in one fixed tree (see <see cref="SimdSum"/>), never the runtime's own order.</summary>
    static abstract float Sum(TVector vector);
}

/// <summary>
/// Horizontal sums in one fixed tree: halves added lane-wise down to 128 bits (v[i] + v[i + half]), then
/// (g0 + g2) + (g1 + g3). <see cref="GemmKernel"/> reduces 16 (or 8) accumulators at once with shuffles along exactly
/// this tree, so its scores are bit-identical to <see cref="DotKernel"/>'s; Vector512.Sum's order is the runtime's
/// to change and costs ~25 instructions per score.
/// </summary>
internal static class SimdSum
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector512<float> v) => Of(v.GetLower() + v.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector256<float> h) => Of(h.GetLower() + h.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of(Vector128<float> g)
    {
        var f = g + Vector128.Shuffle(g, Vector128.Create(2, 3, 0, 1));
        return f.ToScalar() + f.GetElement(1);
    }
}

internal readonly struct Simd512 : ISimd<Vector512<float>>
{
    public static int Width => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> vector, ref float destination, nuint offset) => vector.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> left, Vector512<float> right, Vector512<float> addend) => Vector512.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> left, Vector512<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> vector) => SimdSum.Of(vector);
}

internal readonly struct Simd256 : ISimd<Vector256<float>>
{
    public static int Width => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> vector, ref float destination, nuint offset) => vector.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> left, Vector256<float> right, Vector256<float> addend) => Vector256.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> left, Vector256<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> vector) => SimdSum.Of(vector);
}

internal readonly struct Simd128 : ISimd<Vector128<float>>
{
    public static int Width => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ref float source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> vector, ref float destination, nuint offset) => vector.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> left, Vector128<float> right, Vector128<float> addend) => Vector128.FusedMultiplyAdd(left, right, addend);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> left, Vector128<float> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> vector) => SimdSum.Of(vector);
}
