using System.Net;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>The search page only reads: it lists registered models, and filters by people's labels as well as import labels.</summary>
public partial class SearchPageTests
{
    [Fact]
    public async Task A_search_link_naming_a_built_in_model_registers_nothing()
    {
        await using var factory = new PlatformFactory();
        var admin = await factory.SignInAdminAsync();
        var dataset = await factory.Services.GetRequiredService<DatasetService>().GetOrCreateAsync("no-side-effects", null, "test");

        var response = await admin.GetAsync($"/Search?DatasetId={dataset.Id}&ModelName=resnet18&K=5&ImageId=1");
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Model 'resnet18' is not registered", html, StringComparison.Ordinal);
        Assert.DoesNotContain(">resnet18</option>", html, StringComparison.Ordinal);
        using var scope = factory.Services.CreateScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().EmbeddingModels.CountAsync());
    }

    [Fact]
    public async Task The_class_filter_offers_current_labels_that_include_peoples_decisions()
    {
        await using var factory = new PlatformFactory();
        var admin = await factory.SignInAdminAsync();
        var data = await EvaluationSeed.CreateAsync(factory.Services, "human-filter", classes: 3, perClass: 20);
        string modelName;
        using (var scope = factory.Services.CreateScope())
        {
            modelName = (await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().EmbeddingModels.SingleAsync()).Name;
        }

        // Two labellers call four class-a images class-c: the consensus relabels them.
        var relabelled = data.ImageIds.Take(4).ToList();
        var classC = data.ClassIds[2];
        var labelling = factory.Services.GetRequiredService<LabelSubmissions>();
        foreach (var user in new[] { "u1", "u2" })
        {
            await labelling.SubmitAsync(new SubmitRequest(data.DatasetId, user, $"{user}-client", "single", [.. relabelled.Select(i => new LabelItem(i, LabelEventKind.Label, classC))]));
        }

        var importC = data.ImageIds.Skip(40).ToList(); // class-c by import
        var query = importC[0];
        string Url(string only) => $"/Search?DatasetId={data.DatasetId}&ModelName={modelName}&K=40&Only={Uri.EscapeDataString(only)}&ImageId={query}";

        var current = WebUtility.HtmlDecode(await admin.GetStringAsync(Url($"label:{classC}")));
        var imported = WebUtility.HtmlDecode(await admin.GetStringAsync(Url($"import:{classC}")));

        Assert.Contains("class-c — current label</option>", current, StringComparison.Ordinal);
        Assert.Contains("class-c — import label</option>", current, StringComparison.Ordinal);
        Assert.Equal([.. importC.Skip(1).Concat(relabelled).Order()], ResultIds(current));
        Assert.Equal([.. importC.Skip(1).Order()], ResultIds(imported));
    }

    private static List<long> ResultIds(string html) =>
        [.. ResultId().Matches(html).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Order()];

    [GeneratedRegex("class=\"thumb result\" data-image-id=\"(\\d+)\"")]
    private static partial Regex ResultId();
}
