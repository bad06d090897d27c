using System.Text.RegularExpressions;
using LabelPlatform.Testing;

namespace LabelPlatform.Tests.Architecture;

/// <summary>
/// Features in LabelPlatform.Core depend on each other without cycles, read from the sources' using directives and
/// fully qualified names. Data (the one DbContext that maps every feature's entities) and Settings are shared below all.
/// </summary>
public partial class FeatureDependencyTests
{
    private static readonly HashSet<string> Shared = ["Data", "Settings"];

    [GeneratedRegex(@"\bLabelPlatform\.Core\.(?<feature>[A-Z]\w+)")]
    private static partial Regex CoreReference();

    internal static Dictionary<string, HashSet<string>> Graph()
    {
        var core = Path.Combine(SharedPaths.RepoRoot, "src", "LabelPlatform.Core");
        var features = Directory.GetDirectories(core).Select(Path.GetFileName).OfType<string>()
            .Where(f => f is not ("bin" or "obj") && !Shared.Contains(f)).ToHashSet();
        var graph = features.ToDictionary(f => f, _ => new HashSet<string>());
        foreach (var feature in features)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(core, feature), "*.cs", SearchOption.AllDirectories))
            {
                foreach (Match m in CoreReference().Matches(File.ReadAllText(file)))
                {
                    var target = m.Groups["feature"].Value;
                    if (target != feature && features.Contains(target))
                    {
                        graph[feature].Add(target);
                    }
                }
            }
        }

        return graph;
    }

    internal static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(); // 1: on the path, 2: done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph[node].Order(StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.SkipWhile(n => n != next), next];
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        return graph.Keys.Order(StringComparer.Ordinal).Where(n => state.GetValueOrDefault(n) == 0).Select(Visit).FirstOrDefault(c => c is not null);
    }

    [Fact]
    public void Core_features_have_no_dependency_cycle()
    {
        var graph = Graph();

        Assert.Contains("Labelling", graph.Keys);
        Assert.Contains("Labelling", graph["Evaluation"]); // ground truth comes from the labels
        Assert.DoesNotContain("Evaluation", graph["Labelling"]);
        Assert.Null(FindCycle(graph) is { } cycle ? string.Join(" -> ", cycle) : null);
    }

    [Fact]
    public void The_cycle_finder_finds_a_planted_cycle()
    {
        var graph = new Dictionary<string, HashSet<string>> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"] };
        Assert.Equal(["A", "B", "C", "A"], FindCycle(graph));
        graph["C"].Clear();
        Assert.Null(FindCycle(graph));
    }
}
