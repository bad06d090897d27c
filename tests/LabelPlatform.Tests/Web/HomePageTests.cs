using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Identity;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>The home page says, per dataset, how far it got (images, embedded, labelled, evaluated) and what to do next.</summary>
public class HomePageTests
{
    [Fact]
    public async Task Each_dataset_shows_its_progress_and_a_link_to_its_next_step()
    {
        await using var factory = new PlatformFactory();
        var admin = await factory.SignInAdminAsync();
        await factory.CreateUserAsync("labeller@test.local", Roles.Labeller);
        var labeller = await factory.SignInAsync("labeller@test.local", PlatformFactory.UserPassword);
        var empty = await factory.Services.GetRequiredService<DatasetService>().GetOrCreateAsync("aaa-empty", null, "test");
        var embedded = await EvaluationSeed.CreateAsync(factory.Services, "bbb-embedded", classes: 2, perClass: 5);

        var asAdmin = await admin.GetStringAsync("/");
        var asLabeller = await labeller.GetStringAsync("/");

        var emptyCard = Card(asAdmin, empty.Id);
        Assert.Contains("data-next=\"import\"", emptyCard, StringComparison.Ordinal);
        Assert.Contains($"href=\"/Admin/Datasets/Import?DatasetId={empty.Id}\"", emptyCard, StringComparison.Ordinal);
        var seededCard = Card(asAdmin, embedded.DatasetId);
        Assert.Contains("data-next=\"label\"", seededCard, StringComparison.Ordinal);
        Assert.Contains($"href=\"/Label/Work/{embedded.DatasetId}\"", seededCard, StringComparison.Ordinal);
        Assert.Contains("10 of 10 images embedded", seededCard, StringComparison.Ordinal);
        Assert.Contains("0 of 10 images labelled by people", seededCard, StringComparison.Ordinal);
        // A labeller is not sent to an admin page.
        Assert.DoesNotContain("/Admin/Datasets/Import", Card(asLabeller, empty.Id), StringComparison.Ordinal);
        Assert.Contains("Waiting for an admin to import images", Card(asLabeller, empty.Id), StringComparison.Ordinal);
    }

    private static string Card(string html, int datasetId)
    {
        var start = html.IndexOf($"data-dataset-id=\"{datasetId}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no card for dataset {datasetId}");
        var end = html.IndexOf("data-dataset-id=", start + 10, StringComparison.Ordinal);
        return end < 0 ? html[start..] : html[start..end];
    }
}
