using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Tests.Jobs;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Web;

/// <summary>
/// Issue 14's "two web processes behind one data set": two real web executables over one database and data folder
/// (SQLite, or PostgreSQL on the tests' second pass). What a labeller submits through one shows in the other's label
/// queue (as suggestions drawn from the new labels) and in its search (the current-label filter) within 2 s, and an
/// image deleted through one leaves the other's search results, which still hold k images.
/// </summary>
[Collection(WorkerProcessCollection.Name)]
public partial class TwoWebProcessesTests
{
    private const string Email = "admin@core.test", Password = "Admin-Passw0rd!";

    /// <summary>The issue's bound: measured from the answer to the submission (or deletion) to the first poll that sees it.</summary>
    private static readonly TimeSpan InStep = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_label_and_a_deletion_made_through_one_web_process_show_in_the_others_queue_and_search_within_2_s()
    {
        await using var core = await CorePlatform.StartAsync();
        var seed = await EvaluationSeed.CreateAsync(core.Services, "sync", classes: 3, perClass: 20);
        // One vote decides: the label a labeller gives is then the image's current label, which the search filter uses.
        await core.Get<LabellingSettingsService>().SaveSettingsAsync(seed.DatasetId, overlap: 1, leaseSeconds: 600, modelId: null, user: "test");
        var settings = new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = core.DataDirectory,
            ["Identity:Admin:Email"] = Email,
            ["Identity:Admin:Password"] = Password,
            ["Hangfire:RunServer"] = "false",
            ["Embeddings:EmbedAfterImport"] = "false",
            ["Jobs:BackgroundNice"] = "0",
        };
        foreach (var (key, value) in core.Database?.Settings ?? [])
        {
            settings[key] = value;
        }

        await using var a = await WebProcess.StartAsync(5340, settings);
        await using var b = await WebProcess.StartAsync(5341, settings);
        var d = seed.DatasetId;
        using var clientA = await a.SignInAsync(Email, Password, $"/Label/Work/{d}");
        using var clientB = await b.SignInAsync(Email, Password, $"/Label/Work/{d}");

        // B hands out images and works out their hints while nobody has labelled anything: what it caches then must not stick.
        var held = await NextAsync(clientB, d);
        Assert.All(held, i => Assert.Empty(i.Suggestions));
        var classZero = seed.ImageIds.Take(20).ToHashSet();
        var target = held.Select(i => i.Id).First(classZero.Contains);
        var labelled = classZero.Where(id => id != target).ToList();
        var newClass = seed.ClassIds[2];

        // Through A: the target's 19 neighbours of its cluster labelled as another class, in one grid submission.
        var submitted = await clientA.PostAsJsonAsync($"/api/label/{d}/submit", new
        {
            clientId = "two-processes-1", source = "grid", items = labelled.Select(id => new { imageId = id, action = "label", classId = newClass }).ToArray(),
        });
        Assert.True(submitted.IsSuccessStatusCode, await submitted.Content.ReadAsStringAsync());
        var clock = Stopwatch.StartNew();
        bool inQueue = false, inSearch = false;
        var seen = await Polling.WaitUntilAsync(async () =>
        {
            inQueue = inQueue || (await NextAsync(clientB, d)).Any(i => i.Id == target && i.Suggestions.FirstOrDefault() == newClass);
            inSearch = inSearch || (await LabelFilterAsync(clientB, d, newClass, target)).Any(labelled.Contains);
            return inQueue && inSearch;
        }, InStep);
        Assert.True(seen, $"after {clock.Elapsed.TotalSeconds:0.00} s B's queue shows the new labels as the hint: {inQueue}; B's label filter finds them: {inSearch}\n{LastPage[Math.Max(0, LastPage.IndexOf("<main", StringComparison.Ordinal))..][..Math.Min(3000, LastPage.Length)]}");

        // Deletion through A: the image leaves B's results, and B still answers k results.
        var query = seed.ImageIds[20];
        var before = await SearchAsync(clientB, query, k: 5);
        Assert.Equal(5, before.Count);
        var doomed = before[0];
        var page = await clientA.GetStringAsync($"/Datasets/Browse/{d}");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Ids"] = doomed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Understand"] = "true",
            ["__RequestVerificationToken"] = WebProcess.Token(page),
        });
        using var deleted = await clientA.PostAsync($"/Datasets/Browse/{d}?handler=Delete", form);
        Assert.True((int)deleted.StatusCode < 400, $"delete answered {(int)deleted.StatusCode}");
        clock.Restart();
        await using (var db = await core.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            Assert.False(await db.Images.AnyAsync(i => i.Id == doomed), "the deletion through A did not happen");
        }

        List<long> after = [];
        var gone = await Polling.WaitUntilAsync(async () =>
        {
            after = await SearchAsync(clientB, query, k: 5);
            return after.Count == 5 && !after.Contains(doomed);
        }, InStep);
        Assert.True(gone, $"after {clock.Elapsed.TotalSeconds:0.00} s B answers [{string.Join(", ", after)}] (deleted: {doomed}, k = 5)");
    }

    private sealed record Held(long Id, List<int> Suggestions);

    private static async Task<List<Held>> NextAsync(HttpClient client, int datasetId)
    {
        using var body = JsonDocument.Parse(await client.GetStringAsync($"/api/label/{datasetId}/next?count=50"));
        return [.. body.RootElement.GetProperty("images").EnumerateArray().Select(i => new Held(i.GetProperty("id").GetInt64(),
            [.. i.GetProperty("suggestions").EnumerateArray().Select(s => s.GetProperty("classId").GetInt32())]))];
    }

    /// <summary>The search page's "current label" filter (a reviewer's decision, else the labellers', else the import label): the result ids.</summary>
    private static string LastPage = "";

    private static async Task<List<long>> LabelFilterAsync(HttpClient client, int datasetId, int classId, long queryImage)
    {
        var html = await client.GetStringAsync($"/Search?DatasetId={datasetId}&ModelName=sync-model&K=10&Only=label:{classId}&ImageId={queryImage}");
        LastPage = html;
        return [.. ResultThumb().Matches(html).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    private static async Task<List<long>> SearchAsync(HttpClient client, long imageId, int k)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["dataset"] = "sync", ["model"] = "sync-model", ["k"] = k.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["imageId"] = imageId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var response = await client.PostAsync("/api/search", form);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        using var body = JsonDocument.Parse(text);
        return [.. body.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("imageId").GetInt64())];
    }

    // Result tiles only: the query image's own tile carries an id attribute before its src.
    [GeneratedRegex("<img src=\"/images/(\\d+)/thumb\"")]
    private static partial Regex ResultThumb();
}
