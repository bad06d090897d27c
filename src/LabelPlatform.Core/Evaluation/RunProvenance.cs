using System.Text.Json;

namespace LabelPlatform.Core.Evaluation;

/// <summary>
/// What two runs' manifests say about how their numbers were made, where that differs: the model's execution path,
/// the CPUs the vectors were computed on and whether their 8-bit arithmetic was exact, the model file, the labels.
/// A comparison shows these first: a difference in them can explain a difference in the figures.
/// </summary>
public static class RunProvenance
{
    public static IReadOnlyList<string> Differences(string manifestA, string manifestB)
    {
        using var a = Parse(manifestA);
        using var b = Parse(manifestB);
        var differences = new List<string>();
        void Compare(string what, string? valueA, string? valueB)
        {
            if (valueA != valueB)
            {
                differences.Add($"{what}: run A {valueA ?? "(not recorded)"}, run B {valueB ?? "(not recorded)"}");
            }
        }

        var sameModel = Text(a, "model", "name") == Text(b, "model", "name") && Text(a, "model", "version") == Text(b, "model", "version");
        if (sameModel)
        {
            Compare("the model's execution path differs", Text(a, "model", "execution_path"), Text(b, "model", "execution_path"));
            Compare("the model file differs", Text(a, "model", "sha256"), Text(b, "model", "sha256"));
        }

        Compare("8-bit dot products were exact", Text(a, "machine", "int8_dot_products_exact"), Text(b, "machine", "int8_dot_products_exact"));
        Compare("the embeddings were computed on other CPUs", Cpus(a), Cpus(b));
        Compare("the labels differ (label-state hash)", Text(a, "labels", "hash"), Text(b, "labels", "hash"));
        return differences;
    }

    private static JsonDocument Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
        }
        catch (JsonException)
        {
            return JsonDocument.Parse("{}");
        }
    }

    private static string? Text(JsonDocument document, string section, string name) =>
        document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(section, out var part)
        && part.ValueKind == JsonValueKind.Object && part.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ToString()
            : null;

    /// <summary>The CPUs (host names dropped: two hosts of one CPU type compute the same numbers) the vectors came from.</summary>
    private static string? Cpus(JsonDocument document)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("machine", out var machine)
            || !machine.TryGetProperty("embeddings_computed_on", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var cpus = list.EnumerateArray().Select(e => e.GetString() ?? "").Select(m => m.IndexOf(": ", StringComparison.Ordinal) is var at and >= 0 ? m[(at + 2)..] : m)
            .Distinct().Order(StringComparer.Ordinal).ToList();
        return cpus.Count == 0 ? null : string.Join("; ", cpus);
    }
}
