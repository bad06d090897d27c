using System.Net;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>Admins add classes to a dataset that has none (a crawled one) on its labelling settings page, and rename or delete them there.</summary>
public sealed class DatasetClassesTests : IDisposable
{
    private readonly PlatformFactory _factory = new();

    private async Task<int> DatasetAsync()
    {
        using var scope = _factory.Services.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<DatasetService>().GetOrCreateAsync("crawled", null, "test")).Id;
    }

    private async Task<List<(string Name, bool IsNoise)>> ClassesAsync(int datasetId)
    {
        using var scope = _factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        return [.. (await db.ImageClasses.Where(c => c.DatasetId == datasetId).OrderBy(c => c.Name).Select(c => new { c.Name, c.IsNoise }).ToListAsync()).Select(c => (c.Name, c.IsNoise))];
    }

    [Fact]
    public async Task Classes_are_added_once_with_a_noise_class_and_the_page_lists_them()
    {
        var datasetId = await DatasetAsync();
        var admin = await _factory.SignInAdminAsync();
        var page = $"/Admin/Datasets/Labelling/{datasetId}";
        Assert.Contains("id=\"no-classes\"", await admin.GetStringAsync(page), StringComparison.Ordinal);
        // The labelling page says why there is nothing to pick, and where to fix it.
        Assert.Contains($"href=\"/Admin/Datasets/Labelling/{datasetId}#classes\"", await admin.GetStringAsync($"/Label/Work/{datasetId}"), StringComparison.Ordinal);

        var first = await admin.PostFormAsync($"{page}?handler=Classes", new() { ["Classes.Names"] = "ferry\r\n  accordion \r\n\r\nferry\n", ["Classes.NoiseClass"] = "background" });
        var firstShown = await admin.GetStringAsync(first.Headers.Location!.OriginalString);
        var again = await admin.PostFormAsync($"{page}?handler=Classes", new() { ["Classes.Names"] = "ferry\nairplane", ["Classes.NoiseClass"] = "" });
        var againShown = await admin.GetStringAsync(again.Headers.Location!.OriginalString);

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Contains("3 classes added to crawled; noise/background class: background.", firstShown, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Contains("1 class added to crawled.", againShown, StringComparison.Ordinal);
        Assert.Equal([("accordion", false), ("airplane", false), ("background", true), ("ferry", false)], await ClassesAsync(datasetId));
        var listed = await admin.GetStringAsync(page);
        Assert.Contains("id=\"existing-classes\"", listed, StringComparison.Ordinal);
        Assert.Contains("airplane", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"no-classes\"", await admin.GetStringAsync($"/Label/Grid/{datasetId}"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "", "Give at least one class name")]
    [InlineData("bad\u0007name", "", "without control characters")]
    [InlineData("ok", "\u0001", "without control characters")]
    public async Task Bad_class_names_show_a_message_and_add_nothing(string names, string noise, string message)
    {
        var datasetId = await DatasetAsync();
        var admin = await _factory.SignInAdminAsync();

        var response = await admin.PostFormAsync($"/Admin/Datasets/Labelling/{datasetId}?handler=Classes", new() { ["Classes.Names"] = names, ["Classes.NoiseClass"] = noise });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(message, System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Empty(await ClassesAsync(datasetId));
    }

    [Fact]
    public async Task Too_many_or_too_long_names_are_refused()
    {
        var datasetId = await DatasetAsync();
        var admin = await _factory.SignInAdminAsync();
        var url = $"/Admin/Datasets/Labelling/{datasetId}?handler=Classes";

        var tooMany = await admin.PostFormAsync(url, new() { ["Classes.Names"] = string.Join('\n', Enumerable.Range(0, 501).Select(i => $"c{i}")) });
        var tooLong = await admin.PostFormAsync(url, new() { ["Classes.Names"] = new string('x', 201) });

        Assert.Contains("At most 500 classes at a time (501 given)", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Class names are 1-200 characters", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await ClassesAsync(datasetId));
    }

    private async Task<Dictionary<string, int>> AddClassesAsync(HttpClient admin, int datasetId, string names)
    {
        var added = await admin.PostFormAsync($"/Admin/Datasets/Labelling/{datasetId}?handler=Classes", new() { ["Classes.Names"] = names });
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        using var scope = _factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().ImageClasses.Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Name, c => c.Id);
    }

    [Fact]
    public async Task A_renamed_class_keeps_its_labels_and_changes_the_label_state_hash()
    {
        var admin = await _factory.SignInAdminAsync();
        var seeded = await EvaluationSeed.CreateAsync(_factory.Services, "rename-me", classes: 2, perClass: 3);
        var image = seeded.ImageIds[0];
        await _factory.Services.GetRequiredService<LabelSubmissions>().SubmitAsync(new SubmitRequest(seeded.DatasetId, "u1", "c1", "single", [new LabelItem(image, LabelEventKind.Label, seeded.ClassIds[1])]));
        var truth = _factory.Services.GetRequiredService<GroundTruthService>();
        var before = await truth.CurrentAsync(seeded.DatasetId);
        var page = $"/Admin/Datasets/Labelling/{seeded.DatasetId}";

        var renamed = await admin.PostFormAsync($"{page}?handler=Rename", new() { ["Edit.ClassId"] = seeded.ClassIds[1].ToString(), ["Edit.NewName"] = "  class-b renamed " });

        Assert.Equal(HttpStatusCode.Redirect, renamed.StatusCode);
        Assert.Contains("Class 'class-b' renamed to 'class-b renamed'", System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync(renamed.Headers.Location!.OriginalString)), StringComparison.Ordinal);
        var after = await truth.CurrentAsync(seeded.DatasetId);
        // Same labels (by id), new name: the hash moves so reports tell the two states apart.
        Assert.Equal(before.ClassOf, after.ClassOf);
        Assert.Equal("class-b renamed", after.Classes.Single(c => c.Id == seeded.ClassIds[1]).Name);
        Assert.NotEqual(before.Hash, after.Hash);
        var history = await _factory.Services.GetRequiredService<LabelHistory>().HistoryAsync(image);
        Assert.Equal("class-b renamed", Assert.Single(history).ClassName);
    }

    [Theory]
    [InlineData("accordion", "already has a class named 'accordion'")]
    [InlineData("   ", "Give the new name.")]
    [InlineData("bad\u0007", "without control characters")]
    public async Task A_rename_to_a_taken_or_bad_name_shows_why_and_changes_nothing(string newName, string message)
    {
        var datasetId = await DatasetAsync();
        var admin = await _factory.SignInAdminAsync();
        var ids = await AddClassesAsync(admin, datasetId, "accordion\nferry");

        var response = await admin.PostFormAsync($"/Admin/Datasets/Labelling/{datasetId}?handler=Rename", new() { ["Edit.ClassId"] = ids["ferry"].ToString(), ["Edit.NewName"] = newName });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(message, System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal([("accordion", false), ("ferry", false)], await ClassesAsync(datasetId));
    }

    [Fact]
    public async Task Only_a_class_nothing_refers_to_can_be_deleted()
    {
        var admin = await _factory.SignInAdminAsync();
        var seeded = await EvaluationSeed.CreateAsync(_factory.Services, "delete-some", classes: 2, perClass: 2);
        var ids = await AddClassesAsync(admin, seeded.DatasetId, "typo\nlabelled");
        // 'labelled' has no imported image, but a labeller used it once.
        await _factory.Services.GetRequiredService<LabelSubmissions>().SubmitAsync(new SubmitRequest(seeded.DatasetId, "u1", "c1", "single", [new LabelItem(seeded.ImageIds[0], LabelEventKind.Label, ids["labelled"])]));
        var other = await DatasetAsync();
        var url = $"/Admin/Datasets/Labelling/{seeded.DatasetId}?handler=DeleteClass";

        var deleted = await admin.PostFormAsync(url, new() { ["Edit.ClassId"] = ids["typo"].ToString() });
        // The flash is read by the next page shown, so read it before the refused posts render theirs.
        var deletedShown = System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync(deleted.Headers.Location!.OriginalString));
        var imported = await admin.PostFormAsync(url, new() { ["Edit.ClassId"] = ids["class-a"].ToString() });
        var labelled = await admin.PostFormAsync(url, new() { ["Edit.ClassId"] = ids["labelled"].ToString() });
        var notMine = await admin.PostFormAsync($"/Admin/Datasets/Labelling/{other}?handler=DeleteClass", new() { ["Edit.ClassId"] = ids["class-b"].ToString() });
        var none = await admin.PostFormAsync(url, new() { ["Edit.ClassId"] = "" });

        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Contains("Class 'typo' deleted.", deletedShown, StringComparison.Ordinal);
        Assert.Contains("'class-a' is in use (2 images imported with it) and is kept", await TextAsync(imported), StringComparison.Ordinal);
        Assert.Contains("'labelled' is in use (1 label event) and is kept", await TextAsync(labelled), StringComparison.Ordinal);
        Assert.Contains("not in this dataset", await TextAsync(notMine), StringComparison.Ordinal);
        Assert.Contains("Pick a class.", await TextAsync(none), StringComparison.Ordinal);
        Assert.Equal(["class-a", "class-b", "labelled"], (await ClassesAsync(seeded.DatasetId)).Select(c => c.Name));
    }

    private static async Task<string> TextAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => _factory.Dispose();
}
