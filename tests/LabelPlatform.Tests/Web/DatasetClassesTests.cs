using System.Net;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>Admins add classes to a dataset that has none (a crawled one) on its labelling settings page.</summary>
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

    public void Dispose() => _factory.Dispose();
}
