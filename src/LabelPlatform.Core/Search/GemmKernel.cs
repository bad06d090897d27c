using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace LabelPlatform.Core.Search;

/// <summary>
/// Many dot products at once: c[i * ldc + j] = a_i · b_j for row-major a (m x d) and b (n x d), the "queries x
/// vectorsᵀ" product of a batch search and of all-pairs evaluation scoring.
/// </summary>
/// <remarks>
/// <para>Register-blocked: a micro-kernel holds 4 query rows x 3 vector rows = 12 vector accumulators, so each step
/// loads 7 vectors for 12 FMAs (the single-query scan loads 2 per FMA and is memory-bound; this is compute-bound).
/// Vector rows are taken in tiles of <see cref="TileRows"/> (480 KB at 1280-d, in L2) that every block of 4 queries
/// (20 KB, in L1) passes over. Both operands are already contiguous rows along d (the index stores them so), which is
/// the packed layout an inner-product kernel wants; no copy is made.</para>
/// <para>Bit-identical to <see cref="DotKernel"/>: each (query, row) pair is summed in exactly DotKernel's order —
/// four accumulators over strides of four vectors (here four passes, one per accumulator, partial sums parked on the
/// stack), the vector tail into the first, (s0+s1)+(s2+s3), Sum, then the scalar rest. So a batch search ranks,
/// and breaks ties, exactly like single searches, and identical vectors always score identically.</para>
/// </remarks>
public static class GemmKernel
{
    /// <summary>Vector rows per cache tile (a multiple of the micro-kernel's 3 rows).</summary>
    public const int TileRows = 96;

    private const int BlockQueries = 4;
    private const int BlockRows = 3;
    private const int Pairs = BlockQueries * BlockRows;

    /// <summary>The width the process uses (the same choice as <see cref="DotKernel"/>): 512, 256 or 128 bits.</summary>
    public static int VectorBits => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>c[i * ldc + j] = a row i · b row j, for i &lt; m, j &lt; n (rows of d floats).</summary>
    public static void Multiply(ReadOnlySpan<float> a, int m, ReadOnlySpan<float> b, int n, int d, Span<float> c, int ldc)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Multiply<Simd512, Vector512<float>>(a, m, b, n, d, c, ldc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Multiply<Simd256, Vector256<float>>(a, m, b, n, d, c, ldc);
        }
        else
        {
            Multiply<Simd128, Vector128<float>>(a, m, b, n, d, c, ldc);
        }
    }

    /// <summary>At a chosen width (512, 256 or 128 bits), for benchmarks that measure the AVX2 path on an AVX-512 machine.</summary>
    /// <exception cref="PlatformNotSupportedException">The CPU (or the runtime's settings) lacks that width.</exception>
    public static void Multiply(ReadOnlySpan<float> a, int m, ReadOnlySpan<float> b, int n, int d, Span<float> c, int ldc, int vectorBits)
    {
        switch (vectorBits)
        {
            case 512 when Vector512.IsHardwareAccelerated:
                Multiply<Simd512, Vector512<float>>(a, m, b, n, d, c, ldc);
                break;
            case 256 when Vector256.IsHardwareAccelerated:
                Multiply<Simd256, Vector256<float>>(a, m, b, n, d, c, ldc);
                break;
            case 128:
                Multiply<Simd128, Vector128<float>>(a, m, b, n, d, c, ldc);
                break;
            default:
                throw new PlatformNotSupportedException($"{vectorBits}-bit vectors are not available here.");
        }
    }

    /// <summary>At a chosen width: tests run the AVX2 (256-bit) path on machines that would pick AVX-512.</summary>
    internal static void Multiply<TSimd, TVector>(ReadOnlySpan<float> a, int m, ReadOnlySpan<float> b, int n, int d, Span<float> c, int ldc)
        where TSimd : struct, ISimd<TVector>
        where TVector : struct
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(d, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, n);
        if (a.Length < (long)m * d || b.Length < (long)n * d || (m > 0 && n > 0 && c.Length < ((long)(m - 1) * ldc) + n))
        {
            throw new ArgumentException("An operand is shorter than its stated size.");
        }

        // Everything below reads inside the ranges checked above, without per-element bounds checks.
        ref var a0 = ref MemoryMarshal.GetReference(a);
        ref var b0 = ref MemoryMarshal.GetReference(b);
        ref var c0 = ref MemoryMarshal.GetReference(c);
        var ud = (nuint)d;
        Span<float> park = stackalloc float[2 * Pairs * Vector512<float>.Count];
        ref var p = ref MemoryMarshal.GetReference(park);
        for (var tile = 0; tile < n; tile += TileRows)
        {
            var tileEnd = Math.Min(n, tile + TileRows);
            var q = 0;
            for (; q + BlockQueries <= m; q += BlockQueries)
            {
                var r = tile;
                for (; r + BlockRows <= tileEnd; r += BlockRows)
                {
                    Block<TSimd, TVector>(ref Unsafe.Add(ref a0, (nuint)q * ud), ref Unsafe.Add(ref b0, (nuint)r * ud), ud, ref Unsafe.Add(ref c0, ((nuint)q * (nuint)ldc) + (nuint)r), (nuint)ldc, ref p);
                }

                Edge<TSimd, TVector>(ref a0, q, q + BlockQueries, ref b0, r, tileEnd, ud, ref c0, ldc);
            }

            Edge<TSimd, TVector>(ref a0, q, m, ref b0, tile, tileEnd, ud, ref c0, ldc);
        }
    }

    // The ragged edges (fewer than 4 queries or 3 rows left) one pair at a time, through DotKernel itself.
    private static void Edge<TSimd, TVector>(ref float a, int q0, int q1, ref float b, int r0, int r1, nuint d, ref float c, int ldc)
        where TSimd : struct, ISimd<TVector>
        where TVector : struct
    {
        for (var q = q0; q < q1; q++)
        {
            for (var r = r0; r < r1; r++)
            {
                Unsafe.Add(ref c, ((nuint)q * (nuint)ldc) + (nuint)r) = DotKernel.Score<TSimd, TVector>(ref Unsafe.Add(ref a, (nuint)q * d), ref b, (nuint)r * d, d);
            }
        }
    }

    // 4 queries x 3 rows. Pass k sums the chunks DotKernel's accumulator s_k would (k*w, k*w + 4w, ...); pass 0 also
    // takes the vector tail. Passes 0 and 2 park their sums; 1 and 3 combine as (s0+s1)+(s2+s3).
    private static void Block<TSimd, TVector>(ref float a, ref float b, nuint d, ref float c, nuint ldc, ref float park)
        where TSimd : struct, ISimd<TVector>
        where TVector : struct
    {
        var w = (nuint)TSimd.Width;
        var w4 = 4 * w;
        var d4 = d - (d % w4);
        var dw = d - (d % w);
        ref var a1 = ref Unsafe.Add(ref a, d);
        ref var a2 = ref Unsafe.Add(ref a, 2 * d);
        ref var a3 = ref Unsafe.Add(ref a, 3 * d);
        ref var b1 = ref Unsafe.Add(ref b, d);
        ref var b2 = ref Unsafe.Add(ref b, 2 * d);
        ref var even = ref park;
        ref var odd = ref Unsafe.Add(ref park, Pairs * w);
        for (nuint pass = 0; pass < 4; pass++)
        {
            TVector s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
            TVector s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
            var i = pass * w;
            var end = d4;
            var stride = w4;
            while (true)
            {
                for (; i < end; i += stride)
                {
                    var v0 = TSimd.Load(ref b, i);
                    var v1 = TSimd.Load(ref b1, i);
                    var v2 = TSimd.Load(ref b2, i);
                    var x = TSimd.Load(ref a, i);
                    s00 = TSimd.MultiplyAdd(v0, x, s00);
                    s01 = TSimd.MultiplyAdd(v1, x, s01);
                    s02 = TSimd.MultiplyAdd(v2, x, s02);
                    x = TSimd.Load(ref a1, i);
                    s10 = TSimd.MultiplyAdd(v0, x, s10);
                    s11 = TSimd.MultiplyAdd(v1, x, s11);
                    s12 = TSimd.MultiplyAdd(v2, x, s12);
                    x = TSimd.Load(ref a2, i);
                    s20 = TSimd.MultiplyAdd(v0, x, s20);
                    s21 = TSimd.MultiplyAdd(v1, x, s21);
                    s22 = TSimd.MultiplyAdd(v2, x, s22);
                    x = TSimd.Load(ref a3, i);
                    s30 = TSimd.MultiplyAdd(v0, x, s30);
                    s31 = TSimd.MultiplyAdd(v1, x, s31);
                    s32 = TSimd.MultiplyAdd(v2, x, s32);
                }

                // Pass 0 goes on over the whole vectors past the last group of four, one at a time.
                if (pass != 0 || end == dw)
                {
                    break;
                }

                i = d4;
                end = dw;
                stride = w;
            }

            if (pass is 0 or 2)
            {
                ref var target = ref pass == 0 ? ref even : ref odd;
                TSimd.Store(s00, ref target, 0 * w);
                TSimd.Store(s01, ref target, 1 * w);
                TSimd.Store(s02, ref target, 2 * w);
                TSimd.Store(s10, ref target, 3 * w);
                TSimd.Store(s11, ref target, 4 * w);
                TSimd.Store(s12, ref target, 5 * w);
                TSimd.Store(s20, ref target, 6 * w);
                TSimd.Store(s21, ref target, 7 * w);
                TSimd.Store(s22, ref target, 8 * w);
                TSimd.Store(s30, ref target, 9 * w);
                TSimd.Store(s31, ref target, 10 * w);
                TSimd.Store(s32, ref target, 11 * w);
                continue;
            }

            if (pass == 1)
            {
                Fold<TSimd, TVector>(ref even, w, s00, s01, s02, s10, s11, s12, s20, s21, s22, s30, s31, s32);
                continue;
            }

            // Pass 3: s2 + s3, then (s0 + s1) + that, then the horizontal sum and the scalar rest per pair.
            Fold<TSimd, TVector>(ref odd, w, s00, s01, s02, s10, s11, s12, s20, s21, s22, s30, s31, s32);
            for (nuint pair = 0; pair < Pairs; pair++)
            {
                var qi = pair / BlockRows;
                var rj = pair % BlockRows;
                var sum = TSimd.Sum(TSimd.Add(TSimd.Load(ref even, pair * w), TSimd.Load(ref odd, pair * w)));
                ref var query = ref Unsafe.Add(ref a, qi * d);
                ref var row = ref Unsafe.Add(ref b, rj * d);
                for (var t = dw; t < d; t++)
                {
                    sum += Unsafe.Add(ref row, t) * Unsafe.Add(ref query, t);
                }

                Unsafe.Add(ref c, (qi * ldc) + rj) = sum;
            }
        }
    }

    // target[k] += s_k for the 12 pairs (the pairwise adds of DotKernel's final combine).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fold<TSimd, TVector>(ref float target, nuint w, TVector s00, TVector s01, TVector s02, TVector s10, TVector s11, TVector s12, TVector s20, TVector s21, TVector s22, TVector s30, TVector s31, TVector s32)
        where TSimd : struct, ISimd<TVector>
        where TVector : struct
    {
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 0 * w), s00), ref target, 0 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 1 * w), s01), ref target, 1 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 2 * w), s02), ref target, 2 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 3 * w), s10), ref target, 3 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 4 * w), s11), ref target, 4 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 5 * w), s12), ref target, 5 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 6 * w), s20), ref target, 6 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 7 * w), s21), ref target, 7 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 8 * w), s22), ref target, 8 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 9 * w), s30), ref target, 9 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 10 * w), s31), ref target, 10 * w);
        TSimd.Store(TSimd.Add(TSimd.Load(ref target, 11 * w), s32), ref target, 11 * w);
    }
}
