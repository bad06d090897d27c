using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LabelPlatform.Core.Search;

/// <summary>
/// Many dot products at once: c[i * ldc + j] = a_i · b_j for row-major a (m x d) and b (n x d), the "queries x
/// vectorsᵀ" product of a batch search and of all-pairs evaluation scoring.
/// </summary>
/// <remarks>
/// <para>Register-blocked: with AVX-512 a micro-kernel holds 4 query rows x 4 vector rows = 16 accumulators, so each
/// step loads 8 vectors for 16 FMAs (the single-query scan loads 2 per FMA and is memory-bound; this is
/// compute-bound); with AVX2 (16 registers) 4 x 2. Vector rows are taken in tiles of <see cref="TileRows"/> (480 KB
/// at 1280-d, in L2) that every block of 4 queries (20 KB, in L1) passes over. Both operands are already contiguous
/// rows along d (the index stores them so), the packed layout an inner-product kernel wants; no copy is made.</para>
/// <para>Bit-identical to <see cref="DotKernel"/>: each (query, row) pair is summed in exactly DotKernel's order —
/// two accumulators over alternate vectors (here two passes, one per accumulator, the first's sums parked on the
/// stack), a last odd vector into the first, s0 + s1, the <see cref="SimdSum"/> tree, then the scalar rest.
/// The block's 16 (or 8) horizontal sums are done together by shuffles along that same tree: about two instructions
/// per score instead of ~25. So a batch search ranks, and breaks ties, exactly like single searches.</para>
/// </remarks>
public static class GemmKernel
{
    /// <summary>Vector rows per cache tile (a multiple of the micro-kernel's 3 rows).</summary>
    public const int TileRows = 96;


    // Floats of each row per K panel: a multiple of two vectors at every width, so the two accumulators' alternation
    // runs on across panels unchanged.
    private const nuint PanelFloats = 512;

    [ThreadStatic]
    private static float[]? _park;

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

        // The blocked kernels exist for 512 and 256 bits; 128-bit machines take every pair through DotKernel.
        var wide = typeof(TSimd) == typeof(Simd512) && Avx512F.IsSupported;
        const int blockQueries = 4;
        var blockRows = wide ? 4 : typeof(TSimd) == typeof(Simd256) && Avx.IsSupported && Fma.IsSupported ? 2 : int.MaxValue;

        // Everything below reads inside the ranges checked above, without per-element bounds checks.
        ref var a0 = ref MemoryMarshal.GetReference(a);
        ref var b0 = ref MemoryMarshal.GetReference(b);
        ref var c0 = ref MemoryMarshal.GetReference(c);
        var ud = (nuint)d;
        // Partial sums of every row block of a tile between K panels: at 512 bits 24 blocks x 2 accumulators x 16
        // vectors of 16 (48 KB), at 256 bits 48 x 2 x 8 vectors of 8.
        var park = _park ??= new float[TileRows / 4 * 2 * 16 * 16];
        ref var p = ref MemoryMarshal.GetArrayDataReference(park);
        var parkStride = (nuint)(wide ? 2 * 16 * 16 : 2 * 8 * 8);
        for (var tile = 0; tile < n; tile += TileRows)
        {
            var tileEnd = Math.Min(n, tile + TileRows);
            var q = 0;
            for (; q + blockQueries <= m && blockRows <= tileEnd - tile; q += blockQueries)
            {
                ref var aq = ref Unsafe.Add(ref a0, (nuint)q * ud);
                var blocks = (tileEnd - tile) / blockRows;

                // K panels outermost: 4 query rows x one panel (8 KB) stay in L1 while the tile's rows stream past;
                // whole 1280-d rows (4 x 5 KB + 4 x 5 KB) overflowed L1 and cost ~25%.
                for (nuint k0 = 0; k0 < ud; k0 += PanelFloats)
                {
                    var k1 = Math.Min(ud, k0 + PanelFloats);
                    for (var j = 0; j < blocks; j++)
                    {
                        var r = tile + (j * blockRows);
                        ref var br = ref Unsafe.Add(ref b0, (nuint)r * ud);
                        ref var cq = ref Unsafe.Add(ref c0, ((nuint)q * (nuint)ldc) + (nuint)r);
                        ref var slot = ref Unsafe.Add(ref p, (nuint)j * parkStride);
                        if (wide)
                        {
                            Block512(ref aq, ref br, ud, k0, k1, ref cq, (nuint)ldc, ref slot);
                        }
                        else
                        {
                            Block256(ref aq, ref br, ud, k0, k1, ref cq, (nuint)ldc, ref slot);
                        }
                    }
                }

                Edge<TSimd, TVector>(ref a0, q, q + blockQueries, ref b0, tile + (blocks * blockRows), tileEnd, ud, ref c0, ldc);
            }

            Edge<TSimd, TVector>(ref a0, q, m, ref b0, tile, tileEnd, ud, ref c0, ldc);
        }
    }

    // The ragged edges (fewer than a block of queries or rows left) one pair at a time, through DotKernel itself.
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

    // 4 queries x 4 rows at 512 bits, over the K panel [k0, k1): 16 accumulators, 8 loads per 16 FMAs (8 x 2 was
    // ~10% slower). Pass k sums the vectors DotKernel's accumulator s_k would (k*w, k*w + 2w, ...), resuming from
    // the partial sums parked by the panel before. In the last panel pass 0 also takes a last odd vector, and pass 1
    // ends with s0 + s1 and the 16 horizontal sums at once.
    private static void Block512(ref float a, ref float b, nuint d, nuint k0, nuint k1, ref float c, nuint ldc, ref float park)
    {
        const nuint w = 16;
        var d2 = d - (d % (2 * w));
        var dw = d - (d % w);
        var first = k0 == 0;
        var last = k1 == d;
        ref var a1 = ref Unsafe.Add(ref a, 1 * d);
        ref var a2 = ref Unsafe.Add(ref a, 2 * d);
        ref var a3 = ref Unsafe.Add(ref a, 3 * d);
        ref var b1 = ref Unsafe.Add(ref b, 1 * d);
        ref var b2 = ref Unsafe.Add(ref b, 2 * d);
        ref var b3 = ref Unsafe.Add(ref b, 3 * d);
        for (nuint pass = 0; pass < 2; pass++)
        {
            ref var set = ref Unsafe.Add(ref park, pass * 16 * w);
            var s00 = first ? default : Vector512.LoadUnsafe(ref set, 0 * w);
            var s10 = first ? default : Vector512.LoadUnsafe(ref set, 1 * w);
            var s20 = first ? default : Vector512.LoadUnsafe(ref set, 2 * w);
            var s30 = first ? default : Vector512.LoadUnsafe(ref set, 3 * w);
            var s01 = first ? default : Vector512.LoadUnsafe(ref set, 4 * w);
            var s11 = first ? default : Vector512.LoadUnsafe(ref set, 5 * w);
            var s21 = first ? default : Vector512.LoadUnsafe(ref set, 6 * w);
            var s31 = first ? default : Vector512.LoadUnsafe(ref set, 7 * w);
            var s02 = first ? default : Vector512.LoadUnsafe(ref set, 8 * w);
            var s12 = first ? default : Vector512.LoadUnsafe(ref set, 9 * w);
            var s22 = first ? default : Vector512.LoadUnsafe(ref set, 10 * w);
            var s32 = first ? default : Vector512.LoadUnsafe(ref set, 11 * w);
            var s03 = first ? default : Vector512.LoadUnsafe(ref set, 12 * w);
            var s13 = first ? default : Vector512.LoadUnsafe(ref set, 13 * w);
            var s23 = first ? default : Vector512.LoadUnsafe(ref set, 14 * w);
            var s33 = first ? default : Vector512.LoadUnsafe(ref set, 15 * w);
            var i = k0 + (pass * w);
            var end = Math.Min(k1, d2);
            var stride = 2 * w;
            while (true)
            {
                for (; i < end; i += stride)
                {
                    var v0 = Vector512.LoadUnsafe(ref b, i);
                    var v1 = Vector512.LoadUnsafe(ref b1, i);
                    var v2 = Vector512.LoadUnsafe(ref b2, i);
                    var v3 = Vector512.LoadUnsafe(ref b3, i);
                    var x = Vector512.LoadUnsafe(ref a, i);
                    s00 = Vector512.FusedMultiplyAdd(v0, x, s00);
                    s01 = Vector512.FusedMultiplyAdd(v1, x, s01);
                    s02 = Vector512.FusedMultiplyAdd(v2, x, s02);
                    s03 = Vector512.FusedMultiplyAdd(v3, x, s03);
                    x = Vector512.LoadUnsafe(ref a1, i);
                    s10 = Vector512.FusedMultiplyAdd(v0, x, s10);
                    s11 = Vector512.FusedMultiplyAdd(v1, x, s11);
                    s12 = Vector512.FusedMultiplyAdd(v2, x, s12);
                    s13 = Vector512.FusedMultiplyAdd(v3, x, s13);
                    x = Vector512.LoadUnsafe(ref a2, i);
                    s20 = Vector512.FusedMultiplyAdd(v0, x, s20);
                    s21 = Vector512.FusedMultiplyAdd(v1, x, s21);
                    s22 = Vector512.FusedMultiplyAdd(v2, x, s22);
                    s23 = Vector512.FusedMultiplyAdd(v3, x, s23);
                    x = Vector512.LoadUnsafe(ref a3, i);
                    s30 = Vector512.FusedMultiplyAdd(v0, x, s30);
                    s31 = Vector512.FusedMultiplyAdd(v1, x, s31);
                    s32 = Vector512.FusedMultiplyAdd(v2, x, s32);
                    s33 = Vector512.FusedMultiplyAdd(v3, x, s33);
                }

                // Pass 0 of the last panel goes on to a last whole vector past the last pair of them.
                if (pass != 0 || !last || end == dw)
                {
                    break;
                }

                i = d2;
                end = dw;
            }

            // Park order is the reduction's input order: position 4i + k holds pair (query k, row i).
            if (pass == 0 || !last)
            {
                Park(ref set, 0 * w, s00);
                Park(ref set, 1 * w, s10);
                Park(ref set, 2 * w, s20);
                Park(ref set, 3 * w, s30);
                Park(ref set, 4 * w, s01);
                Park(ref set, 5 * w, s11);
                Park(ref set, 6 * w, s21);
                Park(ref set, 7 * w, s31);
                Park(ref set, 8 * w, s02);
                Park(ref set, 9 * w, s12);
                Park(ref set, 10 * w, s22);
                Park(ref set, 11 * w, s32);
                Park(ref set, 12 * w, s03);
                Park(ref set, 13 * w, s13);
                Park(ref set, 14 * w, s23);
                Park(ref set, 15 * w, s33);
                continue;
            }

            var sums = Reduce16(
                Total(ref park, 0 * w, s00), Total(ref park, 1 * w, s10), Total(ref park, 2 * w, s20), Total(ref park, 3 * w, s30),
                Total(ref park, 4 * w, s01), Total(ref park, 5 * w, s11), Total(ref park, 6 * w, s21), Total(ref park, 7 * w, s31),
                Total(ref park, 8 * w, s02), Total(ref park, 9 * w, s12), Total(ref park, 10 * w, s22), Total(ref park, 11 * w, s32),
                Total(ref park, 12 * w, s03), Total(ref park, 13 * w, s13), Total(ref park, 14 * w, s23), Total(ref park, 15 * w, s33));

            // Lane 4q + r is (query q, row r): one 128-bit store per query row.
            sums.GetLower().GetLower().StoreUnsafe(ref c);
            sums.GetLower().GetUpper().StoreUnsafe(ref c, ldc);
            sums.GetUpper().GetLower().StoreUnsafe(ref c, 2 * ldc);
            sums.GetUpper().GetUpper().StoreUnsafe(ref c, 3 * ldc);
            Tail(ref a, ref b, d, dw, ref c, ldc, 4, 4);
        }
    }

    // 4 queries x 2 rows at 256 bits (8 accumulators + 3 operands fit AVX2's 16 registers); as Block512 otherwise.
    private static void Block256(ref float a, ref float b, nuint d, nuint k0, nuint k1, ref float c, nuint ldc, ref float park)
    {
        const nuint w = 8;
        var d2 = d - (d % (2 * w));
        var dw = d - (d % w);
        var first = k0 == 0;
        var last = k1 == d;
        ref var a1 = ref Unsafe.Add(ref a, d);
        ref var a2 = ref Unsafe.Add(ref a, 2 * d);
        ref var a3 = ref Unsafe.Add(ref a, 3 * d);
        ref var b1 = ref Unsafe.Add(ref b, d);
        for (nuint pass = 0; pass < 2; pass++)
        {
            ref var set = ref Unsafe.Add(ref park, pass * 8 * w);
            var s00 = first ? default : Vector256.LoadUnsafe(ref set, 0 * w);
            var s20 = first ? default : Vector256.LoadUnsafe(ref set, 1 * w);
            var s01 = first ? default : Vector256.LoadUnsafe(ref set, 2 * w);
            var s21 = first ? default : Vector256.LoadUnsafe(ref set, 3 * w);
            var s10 = first ? default : Vector256.LoadUnsafe(ref set, 4 * w);
            var s30 = first ? default : Vector256.LoadUnsafe(ref set, 5 * w);
            var s11 = first ? default : Vector256.LoadUnsafe(ref set, 6 * w);
            var s31 = first ? default : Vector256.LoadUnsafe(ref set, 7 * w);
            var i = k0 + (pass * w);
            var end = Math.Min(k1, d2);
            var stride = 2 * w;
            while (true)
            {
                for (; i < end; i += stride)
                {
                    var v0 = Vector256.LoadUnsafe(ref b, i);
                    var v1 = Vector256.LoadUnsafe(ref b1, i);
                    var x = Vector256.LoadUnsafe(ref a, i);
                    s00 = Vector256.FusedMultiplyAdd(v0, x, s00);
                    s01 = Vector256.FusedMultiplyAdd(v1, x, s01);
                    x = Vector256.LoadUnsafe(ref a1, i);
                    s10 = Vector256.FusedMultiplyAdd(v0, x, s10);
                    s11 = Vector256.FusedMultiplyAdd(v1, x, s11);
                    x = Vector256.LoadUnsafe(ref a2, i);
                    s20 = Vector256.FusedMultiplyAdd(v0, x, s20);
                    s21 = Vector256.FusedMultiplyAdd(v1, x, s21);
                    x = Vector256.LoadUnsafe(ref a3, i);
                    s30 = Vector256.FusedMultiplyAdd(v0, x, s30);
                    s31 = Vector256.FusedMultiplyAdd(v1, x, s31);
                }

                if (pass != 0 || !last || end == dw)
                {
                    break;
                }

                i = d2;
                end = dw;
            }

            // Reduction input order: positions 0..7 hold pairs (q, r) = 00, 20, 01, 21, 10, 30, 11, 31.
            if (pass == 0 || !last)
            {
                Park(ref set, 0 * w, s00);
                Park(ref set, 1 * w, s20);
                Park(ref set, 2 * w, s01);
                Park(ref set, 3 * w, s21);
                Park(ref set, 4 * w, s10);
                Park(ref set, 5 * w, s30);
                Park(ref set, 6 * w, s11);
                Park(ref set, 7 * w, s31);
                continue;
            }

            var sums = Reduce8(
                Total(ref park, 0 * w, s00), Total(ref park, 1 * w, s20), Total(ref park, 2 * w, s01), Total(ref park, 3 * w, s21),
                Total(ref park, 4 * w, s10), Total(ref park, 5 * w, s30), Total(ref park, 6 * w, s11), Total(ref park, 7 * w, s31));

            // Lane 2q + r is (query q, row r).
            for (nuint q = 0; q < 4; q++)
            {
                Unsafe.Add(ref c, q * ldc) = sums.GetElement((int)(2 * q));
                Unsafe.Add(ref c, (q * ldc) + 1) = sums.GetElement((int)((2 * q) + 1));
            }

            Tail(ref a, ref b, d, dw, ref c, ldc, 4, 2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Park(ref float park, nuint offset, Vector512<float> s0) => s0.StoreUnsafe(ref park, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Park(ref float park, nuint offset, Vector256<float> s0) => s0.StoreUnsafe(ref park, offset);

    // s0 + s1: s0 parked, s1 in hand.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Total(ref float park, nuint offset, Vector512<float> s1) => Vector512.LoadUnsafe(ref park, offset) + s1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Total(ref float park, nuint offset, Vector256<float> s1) => Vector256.LoadUnsafe(ref park, offset) + s1;

    // Sixteen SimdSum trees at once. Each stage adds, lane by lane, exactly the values the single tree adds:
    // 512 -> 256 halves, 256 -> 128, then g0 + g2 / g1 + g3, then f0 + f1. Output lane 4k + i is position 4i + k.
    private static Vector512<float> Reduce16(
        Vector512<float> p0, Vector512<float> p1, Vector512<float> p2, Vector512<float> p3, Vector512<float> p4, Vector512<float> p5, Vector512<float> p6, Vector512<float> p7,
        Vector512<float> p8, Vector512<float> p9, Vector512<float> p10, Vector512<float> p11, Vector512<float> p12, Vector512<float> p13, Vector512<float> p14, Vector512<float> p15)
    {
        // [x.lo256 + x.hi256, y.lo256 + y.hi256]: quarters (x.q0 + x.q2, x.q1 + x.q3, y.q0 + y.q2, y.q1 + y.q3).
        static Vector512<float> Halves(Vector512<float> x, Vector512<float> y) => Avx512F.Shuffle4x128(x, y, 0x44) + Avx512F.Shuffle4x128(x, y, 0xEE);

        // Quarters (x.q0 + x.q1, x.q2 + x.q3, y.q0 + y.q1, y.q2 + y.q3): each 256-bit half to 128 bits.
        static Vector512<float> Quarters(Vector512<float> x, Vector512<float> y) => Avx512F.Shuffle4x128(x, y, 0x88) + Avx512F.Shuffle4x128(x, y, 0xDD);

        var t0 = Quarters(Halves(p0, p1), Halves(p2, p3));
        var t1 = Quarters(Halves(p4, p5), Halves(p6, p7));
        var t2 = Quarters(Halves(p8, p9), Halves(p10, p11));
        var t3 = Quarters(Halves(p12, p13), Halves(p14, p15));

        // Per 128-bit lane: (x0 + x2, x1 + x3, y0 + y2, y1 + y3), then (x0 + x1, x2 + x3, y0 + y1, y2 + y3).
        var u0 = Avx512F.Shuffle(t0, t1, 0x44) + Avx512F.Shuffle(t0, t1, 0xEE);
        var u1 = Avx512F.Shuffle(t2, t3, 0x44) + Avx512F.Shuffle(t2, t3, 0xEE);
        return Avx512F.Shuffle(u0, u1, 0x88) + Avx512F.Shuffle(u0, u1, 0xDD);
    }

    // Eight SimdSum trees of 256-bit vectors at once; output lane L < 4 is position 2L, lane 4 + L position 2L + 1.
    private static Vector256<float> Reduce8(Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3, Vector256<float> p4, Vector256<float> p5, Vector256<float> p6, Vector256<float> p7)
    {
        static Vector256<float> Halves(Vector256<float> x, Vector256<float> y) => Avx.Permute2x128(x, y, 0x20) + Avx.Permute2x128(x, y, 0x31);

        var s0 = Halves(p0, p1);
        var s1 = Halves(p2, p3);
        var s2 = Halves(p4, p5);
        var s3 = Halves(p6, p7);
        var u0 = Avx.Shuffle(s0, s1, 0x44) + Avx.Shuffle(s0, s1, 0xEE);
        var u1 = Avx.Shuffle(s2, s3, 0x44) + Avx.Shuffle(s2, s3, 0xEE);
        return Avx.Shuffle(u0, u1, 0x88) + Avx.Shuffle(u0, u1, 0xDD);
    }

    // The scalar rest past the last whole vector (only for d not a multiple of the width), in DotKernel's order.
    private static void Tail(ref float a, ref float b, nuint d, nuint dw, ref float c, nuint ldc, nuint queries, nuint rows)
    {
        if (dw == d)
        {
            return;
        }

        for (nuint q = 0; q < queries; q++)
        {
            for (nuint r = 0; r < rows; r++)
            {
                ref var sum = ref Unsafe.Add(ref c, (q * ldc) + r);
                ref var query = ref Unsafe.Add(ref a, q * d);
                ref var row = ref Unsafe.Add(ref b, r * d);
                for (var t = dw; t < d; t++)
                {
                    sum += Unsafe.Add(ref row, t) * Unsafe.Add(ref query, t);
                }
            }
        }
    }
}
