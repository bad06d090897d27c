using System.Diagnostics;

namespace LabelPlatform.Core.Maps.Umap;

public enum UmapPhase
{
    Pca,
    Neighbours,
    FuzzyGraph,
    Layout,
}

/// <summary>How long each phase of a run took.</summary>
public sealed record UmapTimings(TimeSpan Pca, TimeSpan Neighbours, TimeSpan FuzzyGraph, TimeSpan Layout, int Edges, int Epochs)
{
    public TimeSpan Total => Pca + Neighbours + FuzzyGraph + Layout;

    public string Describe() => FormattableString.Invariant(
        $"PCA {Pca.TotalSeconds:0.0} s, kNN {Neighbours.TotalSeconds:0.0} s, fuzzy graph {FuzzyGraph.TotalSeconds:0.0} s ({Edges:N0} edges), layout {Layout.TotalSeconds:0.0} s ({Epochs} epochs)");
}

/// <summary>The 2-D layout (n x 2, row-major) and the PCA scores it started from.</summary>
public sealed record UmapResult(float[] Layout, float[] Reduced, int ReducedDimensions, UmapTimings Timings);

/// <summary>UMAP from high-dimensional rows to 2-D: PCA, exact kNN, fuzzy simplicial set, SGD layout.</summary>
public static class UmapProjection
{
    /// <summary>
    /// Projects <paramref name="data"/> (n x d, row-major; centred in place by the PCA). <paramref name="progress"/> hears
    /// the phase and the fraction of it done, from worker threads.
    /// </summary>
    public static UmapResult Run(float[] data, int n, int d, UmapParameters parameters, Action<UmapPhase, double>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var parallel = parameters.Parallel(cancellationToken);
        if (n < 2)
        {
            // Nothing to lay out: a single point sits in the middle.
            return new UmapResult(n == 1 ? [5f, 5f] : [], [], 0, new UmapTimings(default, default, default, default, 0, 0));
        }

        var watch = Stopwatch.StartNew();
        progress?.Invoke(UmapPhase.Pca, 0);
        var dims = Math.Min(d, parameters.PcaDimensions);
        var reduced = Pca.Project(data, n, d, dims, parameters.Seed, parallel);
        var pca = watch.Elapsed;

        progress?.Invoke(UmapPhase.Neighbours, 0);
        var knn = KnnGraph.Exact(reduced, n, dims, parameters.Neighbours - 1, parallel, done => progress?.Invoke(UmapPhase.Neighbours, done / (double)n));
        var neighbours = watch.Elapsed - pca;

        progress?.Invoke(UmapPhase.FuzzyGraph, 0);
        var graph = FuzzyGraph.Build(knn, parameters.Neighbours, parallel);
        var fuzzy = watch.Elapsed - pca - neighbours;

        var epochs = parameters.EpochsFor(n);
        progress?.Invoke(UmapPhase.Layout, 0);
        var layout = UmapLayout.PcaInitialisation(reduced, n, dims, parameters.Seed);
        UmapLayout.Optimise(layout, graph, parameters, epoch => progress?.Invoke(UmapPhase.Layout, epoch / (double)epochs), cancellationToken);
        var optimise = watch.Elapsed - pca - neighbours - fuzzy;
        return new UmapResult(layout, reduced, dims, new UmapTimings(pca, neighbours, fuzzy, optimise, graph.Edges / 2, epochs));
    }
}
