using System.Text.Json;
using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Web.Cli;

namespace LabelPlatform.Tests.Cli;

public class EvaluateCliTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));

    private Dictionary<string, string?> Settings => new()
    {
        ["Storage:DataDirectory"] = _data,
        ["Identity:Admin:Password"] = "Admin-Passw0rd!",
        ["Embeddings:MobileNetV2Path"] = SharedPaths.MobileNetV2,
        ["Embeddings:Int8DotProductsExact"] = "true",
        // Ids in file order, so the seeded split (and the random baseline) are the same on every run.
        ["Import:Parallelism"] = "1",
    };

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await PlatformCli.RunAsync(args, stdout, stderr, Settings);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Evaluate_draws_a_split_ranks_with_the_model_and_beats_the_random_baseline()
    {
        // 2 queries + 4 candidates per class; "ant" has too few images and is skipped with a warning.
        using var folder = new ImportFolder().AddCaltech("accordion", 8).AddCaltech("airplanes", 8).AddCaltech("BACKGROUND_Google", 8).AddCaltech("ant", 4);
        Assert.Equal(0, (await RunAsync("import", "--dataset", "cli-eval", "--path", folder.Root, "--noise-class", "BACKGROUND_Google", "--json")).Code);
        Assert.Equal(0, (await RunAsync("embed", "--dataset", "cli-eval", "--model", "mobilenetv2", "--json")).Code);
        var modelFile = Path.Combine(_data, "model.json");
        var randomFile = Path.Combine(_data, "random.json");

        var (code, stdout, stderr) = await RunAsync("evaluate", "--dataset", "cli-eval", "--protocol", "article", "--seed", "2021",
            "--queries-per-class", "2", "--candidates-per-class", "4", "--model", "mobilenetv2", "--k", "3", "1", "--json", modelFile);
        var (randomCode, _, _) = await RunAsync("evaluate", "--dataset", "cli-eval", "--split", "article-seed2021", "--model", "random", "--k", "3", "--json", randomFile);

        Assert.True(code == 0, stderr);
        Assert.Contains("P@3", stdout, StringComparison.Ordinal);
        Assert.Equal(0, randomCode);
        using var model = JsonDocument.Parse(await File.ReadAllTextAsync(modelFile));
        using var random = JsonDocument.Parse(await File.ReadAllTextAsync(randomFile));
        var m = model.RootElement;
        Assert.Equal(6, m.GetProperty("queries").GetInt32());
        Assert.Equal(12, m.GetProperty("candidates").GetInt32());
        Assert.Equal(3, m.GetProperty("k").GetInt32());
        Assert.Equal(3, m.GetProperty("per_class").GetArrayLength());
        foreach (var name in new[] { "precision_at_k", "ap_at_k", "ap_at_k_notebook", "map" })
        {
            Assert.InRange(m.GetProperty(name).GetDouble(), 0, 1);
        }

        // Accordions and airplanes are easy for MobileNetV2; random picks 4 of 11 other candidates per class.
        Assert.True(m.GetProperty("precision_at_k").GetDouble() > random.RootElement.GetProperty("precision_at_k").GetDouble() + 0.2);
        Assert.Equal("random", random.RootElement.GetProperty("method").GetString());
        Assert.Equal(m.GetProperty("queries").GetInt32(), random.RootElement.GetProperty("queries").GetInt32());
        var perClass = m.GetProperty("per_class").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.DoesNotContain("ant", perClass);
    }

    [Fact]
    public async Task Evaluate_refuses_unknown_splits_and_models_without_embeddings()
    {
        using var folder = new ImportFolder().AddCaltech("accordion", 6).AddCaltech("anchor", 6);
        await RunAsync("import", "--dataset", "cli-eval-bad", "--path", folder.Root, "--json");

        var noSplit = await RunAsync("evaluate", "--dataset", "cli-eval-bad", "--split", "nope", "--model", "random");
        var neither = await RunAsync("evaluate", "--dataset", "cli-eval-bad", "--model", "random");
        var badK = await RunAsync("evaluate", "--dataset", "cli-eval-bad", "--protocol", "article", "--model", "random", "--k", "0");
        var unknownModel = await RunAsync("evaluate", "--dataset", "cli-eval-bad", "--protocol", "leave-one-out", "--model", "no-such-model");
        var notEmbedded = await RunAsync("evaluate", "--dataset", "cli-eval-bad", "--protocol", "leave-one-out", "--model", "mobilenetv2");

        Assert.Equal(2, noSplit.Code);
        Assert.Contains("split 'nope' does not exist", noSplit.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, neither.Code);
        Assert.Equal(2, badK.Code);
        Assert.Contains("between 1 and 1000", badK.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, unknownModel.Code);
        Assert.Equal(1, notEmbedded.Code);
        Assert.Contains("compute embeddings", notEmbedded.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS eventually.
        }

        GC.SuppressFinalize(this);
    }
}
