using LabelPlatform.Core.Evaluation;
using ScottPlot;

namespace LabelPlatform.Web.Evaluation;

/// <summary>
/// The report's charts as PNG, drawn server-side with ScottPlot (SkiaSharp): the pages stay script-free and the
/// pictures are the same in a browser, a screenshot or a saved page.
/// </summary>
public static class ReportCharts
{
    public const string PerClass = "per-class";
    public const string Confusion = "confusion";
    public const string PrecisionRecall = "precision-recall";

    public static readonly string[] All = [PerClass, Confusion, PrecisionRecall];

    /// <summary>Above this many classes the heatmap drops its tick labels: 102 names on an axis are unreadable.</summary>
    private const int LabelledClasses = 40;

    public static byte[]? Render(EvaluationReport report, string chart) => chart switch
    {
        PerClass => PerClassBars(report),
        Confusion => ConfusionHeatmap(report),
        PrecisionRecall => PrecisionRecallCurve(report),
        _ => null,
    };

    /// <summary>Horizontal bars of P@K per class, worst at the top, one row per class so every name stays legible.</summary>
    public static byte[] PerClassBars(EvaluationReport report)
    {
        var k = report.MainK;
        var rows = report.PerClass.Where(c => c.Queries > 0).OrderByDescending(c => c.Metrics.At(k).Precision).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        var plot = NewPlot();
        var bars = rows.Select((c, i) => new Bar
        {
            Position = i,
            Value = c.Metrics.At(k).Precision,
            FillColor = c.IsNoise ? Colors.Gray : Color.FromHex("#2f6fde"),
            LineWidth = 0,
            Orientation = Orientation.Horizontal,
        }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, rows.Count).Select(i => (double)i)], [.. rows.Select(c => c.Name)]);
        plot.Axes.Left.MajorTickStyle.Length = 0;
        plot.Axes.SetLimits(0, 1.0, -0.7, rows.Count - 0.3);
        plot.Grid.YAxisStyle.MajorLineStyle.Width = 0;
        plot.Title($"P@{k} per class");
        plot.XLabel($"P@{k} (mean over the class's queries)");
        var height = Math.Max(260, 70 + (rows.Count * 16));
        return plot.GetImageBytes(820, height, ImageFormat.Png);
    }

    /// <summary>Share of each query class's top-K slots by result class; rows = query classes, top to bottom.</summary>
    public static byte[] ConfusionHeatmap(EvaluationReport report)
    {
        var m = report.Confusion;
        var n = m.ClassIds.Count;
        var shares = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            var total = m.Counts[i].Sum();
            for (var j = 0; j < n; j++)
            {
                shares[i, j] = total == 0 ? 0 : m.Counts[i][j] / (double)total;
            }
        }

        var plot = NewPlot();
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        // Extent names the outer cells' centres (ScottPlot centres cells on it): cells sit on whole numbers. The heatmap
        // draws data row 0 at the top, so class i's row sits at y = n-1-i.
        heatmap.Extent = new CoordinateRect(0, n - 1, 0, n - 1);
        plot.Add.ColorBar(heatmap);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        if (n <= LabelledClasses)
        {
            var names = m.ClassIds.Select(report.ClassName).ToArray();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                [.. Enumerable.Range(0, n).Select(i => (double)(n - 1 - i))], names);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                [.. Enumerable.Range(0, n).Select(i => (double)i)], names);
            plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Bottom.MinimumSize = 110;
        }
        else
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual([], []);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([], []);
        }

        plot.Grid.IsVisible = false;
        plot.Title($"Top-{m.K} confusion ({n} classes)");
        plot.YLabel("query class");
        plot.XLabel("result class (colour: share of the row's top-K slots)");
        return plot.GetImageBytes(820, 760, ImageFormat.Png);
    }

    /// <summary>Mean interpolated precision at recall 0, 0.1, …, 1.</summary>
    public static byte[] PrecisionRecallCurve(EvaluationReport report)
    {
        var ys = report.PrecisionRecall.ToArray();
        var xs = Enumerable.Range(0, ys.Length).Select(i => ys.Length == 1 ? 0 : i / (double)(ys.Length - 1)).ToArray();
        var plot = NewPlot();
        var line = plot.Add.Scatter(xs, ys);
        line.LineWidth = 2;
        line.MarkerSize = 6;
        line.Color = Color.FromHex("#2f6fde");
        plot.Axes.SetLimits(0, 1, 0, 1.02);
        plot.Title("Precision–recall (11-point interpolated, mean over queries)");
        plot.XLabel("recall");
        plot.YLabel("precision");
        return plot.GetImageBytes(620, 420, ImageFormat.Png);
    }

    private static readonly string SansFamily =
        SkiaSharp.SKFontManager.Default.FontFamilies.Contains("DejaVu Sans", StringComparer.Ordinal) ? "DejaVu Sans" : Fonts.Sans;

    private static Plot NewPlot()
    {
        var plot = new Plot();
        // A sans-serif face the server has (DejaVu on Debian); ScottPlot's own default is a serif.
        plot.Font.Set(SansFamily);
        return plot;
    }
}
