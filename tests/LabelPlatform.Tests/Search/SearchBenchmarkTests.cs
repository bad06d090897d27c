using System.Text.Json;
using LabelPlatform.Core.Search;
using LabelPlatform.Web.Cli;

namespace LabelPlatform.Tests.Search;

/// <summary>The benchmark's plumbing on a tiny index; its speed figures are never asserted.</summary>
public class SearchBenchmarkTests
{
    [Fact]
    public void A_tiny_run_reports_every_figure_with_sane_shapes()
    {
        var figures = SearchBenchmark.Run(new SearchBenchmarkOptions
        {
            Sizes = [600, 300],
            Dimension = 16,
            Queries = 5,
            Clusters = 10,
            ExpansionSearchSweep = [16, 128],
        });
        var byName = figures.ToDictionary(f => f.Name);

        foreach (var size in new[] { "300", "600" })
        {
            Assert.Equal(size == "300" ? 300 * 16 * 4 / 1048576.0 : 600 * 16 * 4 / 1048576.0, byName[$"exact {size} raw vector bytes"].Value, 1);
            Assert.Equal(5, byName[$"exact {size} single queries timed"].Value);
            Assert.True(byName[$"exact {size} single scan / read"].Value > 0);
            Assert.True(byName[$"exact {size} single top-10 p99"].Value >= byName[$"exact {size} single top-10 p50"].Value);
        }

        // The ANN section runs once, at the largest size.
        Assert.DoesNotContain(figures, f => f.Name.StartsWith("ann 300", StringComparison.Ordinal));
        Assert.InRange(byName["ann 600 ef=128 recall@10"].Value, 0.9, 1.0);
        Assert.True(byName["ann 600 ef=128 speed-up vs exact"].Value > 0);
        Assert.Equal(32, byName["ann 600 stored as"].Value);
        Assert.Contains(figures, f => f.Name.StartsWith("ann 600 smallest ef", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bench_search_verb_prints_json_figures_and_refuses_bad_sizes()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await PlatformCli.RunAsync(["bench", "search", "--sizes", "400", "--queries", "3", "--dimension", "8", "--no-ann", "--json"], stdout, stderr);

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout.ToString());
        var names = json.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("exact 400 single top-10 p50", names);
        Assert.DoesNotContain(names, n => n!.StartsWith("ann", StringComparison.Ordinal));
        Assert.All(json.RootElement.EnumerateArray(), e => Assert.Equal(JsonValueKind.Number, e.GetProperty("value").ValueKind));

        var bad = new StringWriter();
        Assert.Equal(2, await PlatformCli.RunAsync(["bench", "search", "--sizes", "10,x"], new StringWriter(), bad));
        Assert.Contains("'x' is not a positive index size", bad.ToString());
    }
}
