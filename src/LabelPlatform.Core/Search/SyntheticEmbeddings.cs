using System.Numerics.Tensors;

namespace LabelPlatform.Core.Search;

/// <summary>
/// Seeded synthetic unit vectors for benchmarks and tests. Every row is generated from (seed, row number) alone, so a
/// row is the same whatever chunk or thread produced it and a large set can be streamed chunk by chunk.
/// </summary>
/// <remarks>
/// <para>Isotropic: Gaussian, then normalised (uniform on the sphere). No structure at all: the worst case for an
/// approximate index, since every point is nearly equidistant from every other in 1280 dimensions.</para>
/// <para>Clustered: a random unit centre per cluster plus Gaussian noise of norm about <c>spread</c>, normalised,
/// a stand-in for embeddings of a labelled image set (pairs within a cluster have cosine about 1 / (1 + spread^2),
/// across clusters about 0). The cluster number doubles as the class id.</para>
/// </remarks>
public sealed class SyntheticEmbeddings
{
    private readonly ulong _seed;
    private readonly float[]? _centres;
    private readonly float _spread;

    private SyntheticEmbeddings(int dimension, ulong seed, int clusters, float spread)
    {
        VectorIndexLimits.CheckDimension(dimension);
        Dimension = dimension;
        Clusters = clusters;
        _seed = seed;
        _spread = spread;
        if (clusters > 0)
        {
            _centres = new float[(long)clusters * dimension];
            var centres = new SyntheticEmbeddings(dimension, Mix(seed, 0x5eed), 0, 0);
            centres.Fill(0, _centres, clusters);
        }
    }

    public int Dimension { get; }

    /// <summary>0 for isotropic data.</summary>
    public int Clusters { get; }

    public static SyntheticEmbeddings Isotropic(int dimension, ulong seed) => new(dimension, seed, 0, 0);

    public static SyntheticEmbeddings Clustered(int dimension, ulong seed, int clusters, float spread)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clusters, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spread);
        return new SyntheticEmbeddings(dimension, seed, clusters, spread);
    }

    /// <summary>The class id the benchmark stores with a row: its cluster, or null for isotropic data.</summary>
    public int? ClassOf(long row) => Clusters == 0 ? null : (int)(Mix(_seed, (ulong)row) % (ulong)Clusters);

    public float[] Row(long row)
    {
        var vector = new float[Dimension];
        FillRow(row, vector);
        return vector;
    }

    /// <summary>Writes rows firstRow .. firstRow + rows - 1 into destination (row-major), on all cores.</summary>
    public void Fill(long firstRow, float[] destination, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, (long)rows * Dimension, nameof(destination));
        Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => FillRow(firstRow + i, destination.AsSpan(i * Dimension, Dimension)));
    }

    private void FillRow(long row, Span<float> vector)
    {
        var state = Mix(_seed, (ulong)row);
        for (var i = 0; i < vector.Length; i += 2)
        {
            // Box-Muller: two independent standard normals from two uniforms in (0, 1].
            var u1 = ((Next(ref state) >> 40) + 1) * (1f / (1 << 24));
            var u2 = (Next(ref state) >> 40) * (1f / (1 << 24));
            var radius = MathF.Sqrt(-2f * MathF.Log(u1));
            var (sin, cos) = MathF.SinCos(2f * MathF.PI * u2);
            vector[i] = radius * cos;
            if (i + 1 < vector.Length)
            {
                vector[i + 1] = radius * sin;
            }
        }

        if (_centres is not null)
        {
            // Noise of norm ~spread around the row's centre.
            var cluster = ClassOf(row)!.Value;
            TensorPrimitives.Multiply(vector, _spread / MathF.Sqrt(Dimension), vector);
            TensorPrimitives.Add(vector, _centres.AsSpan(cluster * Dimension, Dimension), vector);
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
    }

    // SplitMix64: tiny, fast and good enough to seed and drive synthetic data.
    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Mix(ulong seed, ulong value)
    {
        var state = seed ^ (value * 0xD1B54A32D192ED03UL);
        return Next(ref state);
    }
}
