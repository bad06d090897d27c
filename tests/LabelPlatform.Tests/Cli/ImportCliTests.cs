using System.Text.Json;
using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Web.Cli;

namespace LabelPlatform.Tests.Cli;

public class ImportCliTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));
    private readonly TestDatabase? _database = TestDatabase.CreateIfPostgres();

    private Dictionary<string, string?> Settings => TestDatabase.Apply(_database, new()
    {
        ["Storage:DataDirectory"] = _data,
        ["Identity:Admin:Password"] = "Admin-Passw0rd!",
        ["Embeddings:MobileNetV2Path"] = SharedPaths.MobileNetV2,
        ["Embeddings:Int8DotProductsExact"] = "true",
    });

    [Fact]
    public async Task Import_json_reports_classes_and_counts_and_a_rerun_accepts_nothing()
    {
        using var folder = new ImportFolder().AddCaltech("accordion", 5).AddCaltech("BACKGROUND_Google", 3).AddCaltech("anchor", 4).Add("anchor/broken.jpg", TestImages.TruncatedJpeg());

        var (code, first, _) = await RunAsync("import", "--dataset", "cli-test", "--path", folder.Root, "--noise-class", "BACKGROUND_Google", "--json");
        var (code2, second, _) = await RunAsync("import", "--dataset", "cli-test", "--path", folder.Root, "--json");

        Assert.Equal(0, code);
        Assert.Equal(0, code2);
        Assert.Equal(3, first.GetProperty("classes").GetInt32());
        Assert.Equal(12, first.GetProperty("accepted").GetInt32());
        Assert.Equal(0, first.GetProperty("duplicates").GetInt32());
        Assert.Equal(1, first.GetProperty("rejected").GetInt32());
        Assert.True(first.GetProperty("images_per_second").GetDouble() > 0);
        Assert.Equal(0, second.GetProperty("accepted").GetInt32());
        Assert.Equal(12, second.GetProperty("duplicates").GetInt32());
        Assert.Equal(1, second.GetProperty("rejected").GetInt32());
    }

    [Fact]
    public async Task Missing_folder_and_bad_dataset_name_fail_with_a_message_and_nonzero_exit()
    {
        var (missingCode, _, missingErr) = await RunRawAsync("import", "--dataset", "x", "--path", "/no/such/dir");
        var (nameCode, _, nameErr) = await RunRawAsync("import", "--dataset", "bad name!", "--path", Path.GetTempPath());
        var (argCode, _, argErr) = await RunRawAsync("import", "--path", Path.GetTempPath());

        Assert.Equal(2, missingCode);
        Assert.Contains("does not exist", missingErr, StringComparison.Ordinal);
        Assert.Equal(2, nameCode);
        Assert.Contains("not a valid dataset name", nameErr, StringComparison.Ordinal);
        Assert.NotEqual(0, argCode);
        Assert.Contains("--dataset", argErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_import_prints_rates_for_every_stage_and_leaves_no_data_behind()
    {
        using var folder = new ImportFolder().AddCaltech("accordion", 6).AddCaltech("ant", 4);

        var (code, json, _) = await RunAsync("bench", "import", "--path", folder.Root, "--json");

        Assert.Equal(0, code);
        Assert.Equal(10, json.GetProperty("files").GetInt32());
        foreach (var stage in new[] { "read_hash_images_per_second", "validate_images_per_second", "import_images_per_second" })
        {
            Assert.True(json.GetProperty(stage).GetDouble() > 0, stage);
        }

        // The benchmark imports into its own throw-away folder, never the configured data directory.
        Assert.False(Directory.Exists(Path.Combine(_data, "images")));
    }

    [Fact]
    public async Task Embed_then_search_returns_the_query_image_first_and_a_second_embed_does_nothing()
    {
        using var folder = new ImportFolder().AddCaltech("accordion", 4).AddCaltech("anchor", 4);
        await RunAsync("import", "--dataset", "cli-search", "--path", folder.Root, "--json");

        var (_, embedded, _) = await RunAsync("embed", "--dataset", "cli-search", "--model", "mobilenetv2", "--json");
        var (_, again, _) = await RunAsync("embed", "--dataset", "cli-search", "--model", "mobilenetv2", "--json");
        var query = TestImages.CaltechFiles("anchor", 2).Last();
        var (_, found, _) = await RunAsync("search", "--dataset", "cli-search", "--model", "mobilenetv2", "--image", query, "--k", "3", "--json");

        Assert.Equal((8, 8, 0, 0), (embedded.GetProperty("total").GetInt32(), embedded.GetProperty("embedded").GetInt32(), embedded.GetProperty("skipped").GetInt32(), embedded.GetProperty("failed").GetInt32()));
        Assert.True(embedded.GetProperty("images_per_second").GetDouble() > 0);
        Assert.Equal((0, 8), (again.GetProperty("embedded").GetInt32(), again.GetProperty("skipped").GetInt32()));
        var results = found.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        Assert.Equal("anchor/image_0002.jpg", results[0].GetProperty("origin").GetString());
        Assert.Equal("anchor", results[0].GetProperty("class").GetString());
        Assert.True(File.Exists(results[0].GetProperty("path").GetString()));
        Assert.True(results[0].GetProperty("score").GetSingle() >= 0.9999f);
    }

    [Fact]
    public async Task Models_list_shows_built_ins_and_register_refuses_a_missing_tensor()
    {
        var (listCode, list, _) = await RunRawAsync("models", "list");
        var (code, _, error) = await RunRawAsync("models", "register", "--name", "broken", "--path", SharedPaths.MobileNetV2, "--tensor", "nope");

        Assert.Equal(0, listCode);
        Assert.Contains("resnet18", list, StringComparison.Ordinal);
        Assert.Equal(1, code);
        Assert.Contains("tensor 'nope' is not in the model", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_import_verb()
    {
        var (code, output, _) = await RunRawAsync("--help");
        var (importCode, importHelp, _) = await RunRawAsync("import", "--help");

        Assert.Equal(0, code);
        Assert.Contains("import", output, StringComparison.Ordinal);
        Assert.Equal(0, importCode);
        Assert.Contains("--noise-class", importHelp, StringComparison.Ordinal);
        Assert.Contains("--json", importHelp, StringComparison.Ordinal);
        Assert.True(PlatformCli.IsCliInvocation(["import"]));
        Assert.False(PlatformCli.IsCliInvocation(["--urls", "http://127.0.0.1:5000"]));
    }

    private async Task<(int Code, JsonElement Json, string Stderr)> RunAsync(params string[] args)
    {
        var (code, stdout, stderr) = await RunRawAsync(args);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        // --json prints exactly one JSON object on stdout; logs go to stderr.
        return (code, JsonDocument.Parse(stdout.Trim()).RootElement.Clone(), stderr);
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunRawAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await PlatformCli.RunAsync(args, stdout, stderr, Settings);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose()
    {
        _database?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
