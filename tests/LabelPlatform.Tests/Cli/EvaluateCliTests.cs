using System.Text.Json;
using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Web.Cli;

namespace LabelPlatform.Tests.Cli;

public class EvaluateCliTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));
    private readonly TestDatabase? _database = TestDatabase.CreateIfPostgres();

    private Dictionary<string, string?> Settings => TestDatabase.Apply(_database, new()
    {
        ["Storage:DataDirectory"] = _data,
        ["Identity:Admin:Password"] = "Admin-Passw0rd!",
        ["Embeddings:MobileNetV2Path"] = SharedPaths.MobileNetV2,
        ["Embeddings:Int8DotProductsExact"] = "true",
        // Ids in file order, so the seeded split (and the random baseline) are the same on every run.
        ["Import:Parallelism"] = "1",
    });

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
    public async Task Splits_travel_as_files_and_the_model_path_is_chosen_and_recorded()
    {
        using var folder = new ImportFolder().AddCaltech("accordion", 8).AddCaltech("airplanes", 8);
        Assert.Equal(0, (await RunAsync("import", "--dataset", "cli-a", "--path", folder.Root, "--json")).Code);
        Assert.Equal(0, (await RunAsync("import", "--dataset", "cli-b", "--path", folder.Root, "--json")).Code);
        Assert.Equal(0, (await RunAsync("embed", "--dataset", "cli-b", "--model", "mobilenetv2:float", "--json")).Code);
        var file = Path.Combine(_data, "split.json");
        var split = await RunAsync("evaluate", "--dataset", "cli-a", "--protocol", "article", "--seed", "9", "--queries-per-class", "2", "--candidates-per-class", "4", "--model", "random");
        Assert.True(split.Code == 0, split.Stderr);

        var export = await RunAsync("splits", "export", "--dataset", "cli-a", "--split", "article-seed9", "--out", file);
        var import = await RunAsync("splits", "import", "--dataset", "cli-b", "--file", file, "--name", "from-a");
        var again = await RunAsync("splits", "import", "--dataset", "cli-b", "--file", file, "--name", "from-a");
        var evaluated = await RunAsync("evaluate", "--dataset", "cli-b", "--split", "from-a", "--model", "mobilenetv2:float", "--k", "3", "--json", "-");

        Assert.True(export.Code == 0, export.Stderr);
        Assert.True(import.Code == 0, import.Stderr);
        Assert.Contains("Imported split from-a into cli-b: 4 queries, 8 candidates, 4 training images.", import.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, again.Code);
        Assert.Contains("already has a split named 'from-a'", again.Stderr, StringComparison.Ordinal);
        Assert.True(evaluated.Code == 0, evaluated.Stderr);
        using var json = JsonDocument.Parse(evaluated.Stdout[evaluated.Stdout.IndexOf('{', StringComparison.Ordinal)..]);
        Assert.Equal("float", json.RootElement.GetProperty("execution_path").GetString());
        Assert.Equal("mobilenetv2 v1 float", json.RootElement.GetProperty("model").GetString());
        using var exported = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        Assert.Equal(exported.RootElement.GetProperty("digests").GetProperty("query").GetString(),
            json.RootElement.GetProperty("split").GetProperty("digests").GetProperty("query").GetString());
        Assert.Contains("int8_dot_products_exact", json.RootElement.GetProperty("machine").GetRawText(), StringComparison.Ordinal);

        // models path: an admin's choice from the command line, and a refusal with the reason.
        var choose = await RunAsync("models", "path", "--name", "mobilenetv2", "--choice", "float");
        var bad = await RunAsync("models", "path", "--name", "mobilenetv2", "--choice", "fastest");
        Assert.True(choose.Code == 0, choose.Stderr);
        Assert.Contains("this machine uses mobilenetv2 v1 float", choose.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, bad.Code);
        Assert.Contains("not a path choice", bad.Stderr, StringComparison.Ordinal);
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
        _database?.Dispose();
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
