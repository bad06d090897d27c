namespace LabelPlatform.Core.Maps.Umap;

/// <summary>
/// The knobs of one UMAP run (McInnes, Healy and Melville 2018), with umap-learn's defaults. The curve parameters
/// <see cref="A"/> and <see cref="B"/> are umap-learn's fit for min_dist 0.1 and spread 1.
/// </summary>
public sealed record UmapParameters
{
    /// <summary>umap-learn's n_neighbors: the point itself plus its Neighbours - 1 nearest others.</summary>
    public int Neighbours { get; init; } = 15;

    /// <summary>Vectors wider than this are reduced by PCA first (the kNN search and the initial layout use the reduction).</summary>
    public int PcaDimensions { get; init; } = 50;

    /// <summary>0: umap-learn's choice, 500 epochs up to 10,000 points and 200 above.</summary>
    public int Epochs { get; init; }

    public int NegativeSampleRate { get; init; } = 5;

    public float LearningRate { get; init; } = 1f;

    public float A { get; init; } = 1.577f;

    public float B { get; init; } = 0.895f;

    public ulong Seed { get; init; } = 42;

    /// <summary>Threads for every phase. With 1 the whole run is deterministic for a seed; above 1 the layout's SGD is Hogwild (lock-free, as umap-learn's parallel mode) and varies slightly.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    public int EpochsFor(int points) => Epochs > 0 ? Epochs : points <= 10_000 ? 500 : 200;

    public ParallelOptions Parallel(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = Math.Max(1, MaxDegreeOfParallelism), CancellationToken = cancellationToken };
}

/// <summary>SplitMix64: small, fast and seedable, so every phase's randomness follows from the run's seed alone.</summary>
internal struct SplitMix
{
    private ulong _state;

    public SplitMix(ulong seed, ulong stream) => _state = seed ^ (stream * 0xD1B54A32D192ED03UL) ^ 0x9E3779B97F4A7C15UL;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound).</summary>
    public int NextInt(int bound) => (int)((Next() >> 32) * (ulong)bound >> 32);

    /// <summary>Uniform in (0, 1].</summary>
    public double NextUnit() => ((Next() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>A standard normal (Box-Muller, one of the pair).</summary>
    public double NextGaussian() => Math.Sqrt(-2 * Math.Log(NextUnit())) * Math.Cos(2 * Math.PI * NextUnit());
}
