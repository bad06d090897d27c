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
    /// exactly (four accumulators over strides of four vectors, the tail into the first, (s0+s1)+(s2+s3), Sum, then
    /// the scalar rest), so a batch search and a single search give bit-identical scores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Score<TSimd, TVector>(ref float q, ref float m, nuint o, nuint d)
        where TSimd : struct, ISimd<TVector>
        where TVector : struct
    {
        // Four independent accumulators hide the FMA latency; one stream keeps the prefetcher on a single row.
        TVector s0 = default, s1 = default, s2 = default, s3 = default;
        var w = (nuint)TSimd.Width;
        nuint i = 0;
        for (; i + (4 * w) <= d; i += 4 * w)
        {
            s0 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i), TSimd.Load(ref q, i), s0);
            s1 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i + w), TSimd.Load(ref q, i + w), s1);
            s2 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i + (2 * w)), TSimd.Load(ref q, i + (2 * w)), s2);
            s3 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i + (3 * w)), TSimd.Load(ref q, i + (3 * w)), s3);
        }

        for (; i + w <= d; i += w)
        {
            s0 = TSimd.MultiplyAdd(TSimd.Load(ref m, o + i), TSimd.Load(ref q, i), s0);
        }

        var sum = TSimd.Sum(TSimd.Add(TSimd.Add(s0, s1), TSimd.Add(s2, s3)));

        // Dimensions that are not a multiple of the vector width (never 512 or 1280) finish element by element.
        for (; i < d; i++)
        {
            sum += Unsafe.Add(ref m, o + i) * Unsafe.Add(ref q, i);
        }

        return sum;
    }
}
