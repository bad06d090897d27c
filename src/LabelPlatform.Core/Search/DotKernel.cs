using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace LabelPlatform.Core.Search;

/// <summary>
/// The dot product of the query with one stored row, one row after another so the scan is a single sequential
/// stream. Measured on the 2-core benchmark VM (1280-d, single thread, GB/s of vectors scored): TensorPrimitives.Dot
/// per row ~24; four rows interleaved per pass ~28 (four streams); this kernel ~29 on unaligned rows and ~41 when rows
/// start on 64-byte boundaries, the same as a plain sequential read of the same memory (~41). Hence the aligned
/// storage in <see cref="ExactVectorIndex"/>. Every row goes through exactly this arithmetic, so identical vectors
/// always get bit-identical scores and ties are settled by id alone.
/// </summary>
internal static class DotKernel
{
    /// <summary>
    /// The dot product of the <paramref name="d"/> floats at <paramref name="q"/> with those at
    /// <paramref name="m"/> + <paramref name="offset"/>. No bounds checks (LoadUnsafe): the caller checks its whole
    /// scan range once, which is what lets the loop run at memory speed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Score(ref float q, ref float m, nuint offset, nuint d)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Score<Simd512, Vector512<float>>(ref q, ref m, offset, d);
        }

        return Vector256.IsHardwareAccelerated
            ? Score<Simd256, Vector256<float>>(ref q, ref m, offset, d)
            : Score<Simd128, Vector128<float>>(ref q, ref m, offset, d);
    }

    /// <summary>
    /// The same dot product at one chosen vector width. <see cref="GemmKernel"/> mirrors this order of operations
    /// exactly (two accumulators over alternate vectors, a last odd vector into the first, s0 + s1, the
    /// <see cref="SimdSum"/> tree, then the scalar rest), so a batch search and a single search give bit-identical scores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Score<TSimd, TVector>(ref float q, ref float m, nuint o, nuint d)
        where TSimd : struct, ISimd<TVector>
        where TVector : struct
    {
        // Two independent accumulators, unrolled to four loads a step: two FMA chains still issue faster than
        // memory delivers the row (the scan is memory-bound), and the batch kernel that mirrors this order needs
        // only two passes per block (four cost it ~15% in parked partial sums).
        TVector s0 = default, s1 = default;
        var w = (nuint)TSimd.Width;
        nuint i = 0;
        for (; i + (4 * w) <= d; i += 4 * w)
        {
            s0 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i), TSimd.Load(ref q, i), s0);
            s1 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i + w), TSimd.Load(ref q, i + w), s1);
            s0 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i + (2 * w)), TSimd.Load(ref q, i + (2 * w)), s0);
            s1 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i + (3 * w)), TSimd.Load(ref q, i + (3 * w)), s1);
        }

        for (; i + (2 * w) <= d; i += 2 * w)
        {
            s0 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i), TSimd.Load(ref q, i), s0);
            s1 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i + w), TSimd.Load(ref q, i + w), s1);
        }

        if (i + w <= d)
        {
            s0 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i), TSimd.Load(ref q, i), s0);
            i += w;
        }

        var sum = TSimd.Sum(TSimd.Add(s0, s1));

        // Dimensions that are not a multiple of the vector width (never 512 or 1280) finish element by element.
        for (; i < d; i++)
        {
            sum += Unsafe.Add(ref m, o + i) * Unsafe.Add(ref q, i);
        }

        return sum;
    }
}
