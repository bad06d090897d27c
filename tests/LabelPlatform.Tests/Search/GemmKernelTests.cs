using System.Runtime.Intrinsics;
using LabelPlatform.Core.Search;

namespace LabelPlatform.Tests.Search;

public class GemmKernelTests
{
    /// <summary>Every width this CPU runs: the AVX2 (256-bit) path is tested here even where AVX-512 would be picked.</summary>
    public static TheoryData<int> Widths()
    {
        var widths = new TheoryData<int> { 128 };
        if (Vector256.IsHardwareAccelerated)
        {
            widths.Add(256);
        }

        if (Vector512.IsHardwareAccelerated)
        {
            widths.Add(512);
        }

        return widths;
    }

    private static float[] Random(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (random.NextSingle() * 2) - 1)];
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Product_matches_a_naive_triple_loop_at_odd_sizes(int bits)
    {
        // Columns (d) below, at and past every vector width and stride of four vectors; rows neither a multiple of the
        // 4 x 3 block nor of the 96-row tile (205 crosses two tile boundaries); a row stride wider than the product.
        foreach (var d in new[] { 1, 3, 17, 67, 1280 })
        {
            foreach (var (m, n) in new[] { (1, 1), (3, 2), (5, 7), (9, 205) })
            {
                var a = Random(d + m, m * d);
                var b = Random(d + n + 1000, n * d);
                var ldc = n + 3;
                var c = new float[(m * ldc) + 3];
                Array.Fill(c, float.NaN);

                GemmKernel.Multiply(a, m, b, n, d, c, ldc, bits);

                for (var i = 0; i < m; i++)
                {
                    for (var j = 0; j < n; j++)
                    {
                        double expected = 0, magnitude = 0;
                        for (var t = 0; t < d; t++)
                        {
                            expected += (double)a[(i * d) + t] * b[(j * d) + t];
                            magnitude += Math.Abs((double)a[(i * d) + t] * b[(j * d) + t]);
                        }

                        Assert.True(Math.Abs(c[(i * ldc) + j] - expected) <= 1e-5 * (magnitude + 1), $"d={d} m={m} n={n} ({i},{j}): {c[(i * ldc) + j]} vs {expected}");
                    }

                    // The padding past n in each row is never written.
                    Assert.All(c.AsSpan((i * ldc) + n, 3).ToArray(), x => Assert.True(float.IsNaN(x)));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Every_score_is_bit_identical_to_the_single_query_kernel(int bits)
    {
        foreach (var d in new[] { 1, 17, 64, 131, 1280 })
        {
            const int m = 6, n = 101;
            var a = Random(d, m * d);
            var b = Random(d + 1, n * d);
            var c = new float[m * n];

            GemmKernel.Multiply(a, m, b, n, d, c, n, bits);

            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    var single = Single(bits, a.AsSpan(i * d, d), b, j * d, d);
                    Assert.True(BitConverter.SingleToInt32Bits(single) == BitConverter.SingleToInt32Bits(c[(i * n) + j]), $"d={d} ({i},{j}): {c[(i * n) + j]:R} vs {single:R}");
                }
            }
        }
    }

    [Fact]
    public void Operands_shorter_than_their_sizes_are_refused()
    {
        var a = new float[10];
        Assert.Throws<ArgumentException>(() => GemmKernel.Multiply(a, 2, new float[4], 1, 5, new float[2], 1));
        Assert.Throws<ArgumentException>(() => GemmKernel.Multiply(a, 2, new float[10], 2, 5, new float[3], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmKernel.Multiply(a, 2, new float[10], 2, 5, new float[4], 1));
    }

    private static float Single(int bits, ReadOnlySpan<float> query, float[] rows, int offset, int d)
    {
        ref var q = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(query);
        ref var m = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(rows);
        return bits switch
        {
            512 => DotKernel.Score<Simd512, Vector512<float>>(ref q, ref m, (nuint)offset, (nuint)d),
            256 => DotKernel.Score<Simd256, Vector256<float>>(ref q, ref m, (nuint)offset, (nuint)d),
            _ => DotKernel.Score<Simd128, Vector128<float>>(ref q, ref m, (nuint)offset, (nuint)d),
        };
    }
}
