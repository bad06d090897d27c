using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Review;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>
/// The review queue paged through to its end, the review JSON API (decide, bulk accept, neighbours) and the human
/// labels on the dataset page, over HTTP against the real app.
/// </summary>
public sealed partial class ReviewDeskTests : IAsyncLifetime
{
    private const int Images = 120;
    private readonly PlatformFactory _factory = new();
    private SeededDataset _data = null!;

    public async Task InitializeAsync()
    {
        await _factory.CreateUserAsync("reviewer@test.local", Roles.Reviewer);
        await _factory.CreateUserAsync("labeller@test.local", Roles.Labeller);
        _data = await EvaluationSeed.CreateAsync(_factory.Services, "review-desk", classes: 3, perClass: Images / 3);
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Labellers "u1" and "u2" vote class 0 and class 1 on the images: without a majority, all go to review.</summary>
    private async Task SplitVotesAsync(IReadOnlyList<long> images, string prefix = "split")
    {
        var labelling = _factory.Services.GetRequiredService<LabelSubmissions>();
        foreach (var (user, cls) in new[] { ("u1", 0), ("u2", 1) })
        {
            await labelling.SubmitAsync(new SubmitRequest(_data.DatasetId, user, $"{prefix}-{user}", "single",
                [.. images.Select(id => new LabelItem(id, LabelEventKind.Label, _data.ClassIds[cls]))]));
        }
    }

    private async Task<(HttpClient Client, string Token)> ReviewerAsync()
    {
        var client = await _factory.SignInAsync("reviewer@test.local", PlatformFactory.UserPassword);
        return (client, await client.GetAntiforgeryTokenAsync($"/Review/Queue/{_data.DatasetId}"));
    }

    private Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string? token, string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/review/{_data.DatasetId}/{path}") { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }

        return client.SendAsync(request);
    }

    private static List<long> ItemIds(string html) => [.. ItemPattern().Matches(html).Select(m => long.Parse(m.Groups[1].Value))];

    [Fact]
    public async Task Every_image_of_a_long_queue_is_reachable_page_by_page()
    {
        await SplitVotesAsync(_data.ImageIds);
        var (reviewer, _) = await ReviewerAsync();

        var pages = new List<List<long>>();
        for (var p = 1; p <= 3; p++)
        {
            var html = await reviewer.GetStringAsync($"/Review/Queue/{_data.DatasetId}?queue=consensus&p={p}");
            Assert.Contains($"data-total=\"{Images}\"", html, StringComparison.Ordinal);
            Assert.Contains($"Page {p} of 3", html, StringComparison.Ordinal);
            pages.Add(ItemIds(html));
        }

        // Past the end: the last page, not an empty one.
        var beyond = ItemIds(await reviewer.GetStringAsync($"/Review/Queue/{_data.DatasetId}?p=99"));

        Assert.Equal([ReviewDesk.PageSize, ReviewDesk.PageSize, Images - (2 * ReviewDesk.PageSize)], pages.Select(p => p.Count));
        Assert.Equal(_data.ImageIds.Order(), pages.SelectMany(p => p).Order());
        Assert.Equal(pages[2], beyond);
    }

    [Fact]
    public async Task Tied_votes_get_the_class_most_nearest_images_hold_as_their_majority()
    {
        await SplitVotesAsync(_data.ImageIds);
        var perClass = Images / 3;
        int ImportClass(long id) => _data.ClassIds[_data.ImageIds.ToList().IndexOf(id) / perClass];

        var page = await _factory.Services.GetRequiredService<ReviewDesk>().PageAsync(_data.DatasetId, ReviewQueueNames.Consensus, 2);

        // Class c's made-up vectors lean towards axis c, so most images' nearest labelled images share their class.
        var agreeing = page.Items.Count(i => i.Majority?.ClassId == ImportClass(i.ImageId));
        Assert.True(agreeing >= page.Items.Count * 0.8, $"{agreeing} of {page.Items.Count} tie-breaks chose the class of the nearest images");
        Assert.All(page.Items.Where(i => i.Majority is not null), i => Assert.Contains("the votes are tied", i.Majority!.Basis, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_decision_posted_as_json_is_saved_once_and_needs_the_token_and_the_reviewer_role()
    {
        var image = _data.ImageIds[0];
        await SplitVotesAsync([image]);
        var (reviewer, token) = await ReviewerAsync();
        var body = new { imageId = image, classId = _data.ClassIds[1], reject = false, expectedVersion = (int?)null, clientId = "desk-1" };

        var withoutToken = await PostJsonAsync(reviewer, null, "decide", body);
        var first = await PostJsonAsync(reviewer, token, "decide", body);
        var again = await PostJsonAsync(reviewer, token, "decide", body);
        var stale = await PostJsonAsync(reviewer, token, "decide", body with { clientId = "desk-2", classId = _data.ClassIds[0] });
        var labeller = await _factory.SignInAsync("labeller@test.local", PlatformFactory.UserPassword);
        var asLabeller = await PostJsonAsync(labeller, await labeller.GetAntiforgeryTokenAsync($"/Label/Work/{_data.DatasetId}"), "decide", body with { clientId = "desk-3" });
        var anonymous = await PostJsonAsync(_factory.CreateBrowserClient(), null, "decide", body);

        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var saved = await first.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, false), (saved.GetProperty("version").GetInt32(), saved.GetProperty("duplicate").GetBoolean()));
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());
        // Decided against "no final label" while version 1 stands: refused, nothing written.
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, asLabeller.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var scope = _factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var final = await db.FinalLabels.SingleAsync();
        Assert.Equal((image, _data.ClassIds[1], 1), (final.ImageId, final.ClassId, final.Version));
        Assert.Equal(1, await db.LabelEvents.CountAsync(e => e.Kind == LabelEventKind.Review));
    }

    [Fact]
    public async Task A_bulk_accept_saves_each_majority_and_reports_the_one_that_conflicts()
    {
        var images = _data.ImageIds.Take(4).ToList();
        var labelling = _factory.Services.GetRequiredService<LabelSubmissions>();
        // Overlap 4 and votes a, a, b, c: class a is ahead (the majority Enter accepts) but has no consensus (2 of 4).
        await _factory.Services.GetRequiredService<LabellingSettingsService>().SaveSettingsAsync(_data.DatasetId, 4, 120, null, "test");
        foreach (var (user, cls) in new[] { ("u1", 0), ("u2", 0), ("u3", 1), ("u4", 2) })
        {
            await labelling.SubmitAsync(new SubmitRequest(_data.DatasetId, user, $"bulk-{user}", "single", [.. images.Select(id => new LabelItem(id, LabelEventKind.Label, _data.ClassIds[cls]))]));
        }

        var page = await _factory.Services.GetRequiredService<ReviewDesk>().PageAsync(_data.DatasetId, ReviewQueueNames.Consensus, 1);
        Assert.All(page.Items, i => Assert.Equal(_data.ClassIds[0], i.Majority?.ClassId));
        // Another reviewer decides the last image first: the bulk accept's "no final label yet" is stale for it.
        await _factory.Services.GetRequiredService<ReviewDecisions>().SetFinalAsync(new ReviewRequest(_data.DatasetId, images[3], "other-reviewer", "first", _data.ClassIds[2], false, null));
        var (reviewer, token) = await ReviewerAsync();

        var response = await PostJsonAsync(reviewer, token, "bulk", new
        {
            items = page.Items.Select(i => new { imageId = i.ImageId, classId = i.Majority!.ClassId, expectedVersion = i.Version, clientId = $"bulk-{i.ImageId}" }),
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("imageId").GetInt64());
        Assert.All(images.Take(3), id => Assert.Equal(JsonValueKind.Null, results[id].GetProperty("error").ValueKind));
        Assert.Contains("other-reviewer", results[images[3]].GetProperty("error").GetString(), StringComparison.Ordinal);
        using var scope = _factory.Services.CreateScope();
        var finals = await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().FinalLabels.ToDictionaryAsync(f => f.ImageId, f => f.ClassId);
        Assert.Equal(images.Take(3).Select(_ => (int?)_data.ClassIds[0]).Append(_data.ClassIds[2]), images.Select(id => finals[id]));
    }

    [Fact]
    public async Task Neighbours_come_with_their_current_label_a_final_label_first()
    {
        var (reviewer, _) = await ReviewerAsync();
        var image = _data.ImageIds[5];
        var before = (await reviewer.GetFromJsonAsync<JsonElement>($"/api/review/{_data.DatasetId}/neighbours?imageId={image}&k=6")).GetProperty("neighbours").EnumerateArray().ToList();
        var nearest = before[0].GetProperty("imageId").GetInt64();
        await _factory.Services.GetRequiredService<ReviewDecisions>().SetFinalAsync(new ReviewRequest(_data.DatasetId, nearest, "someone", "n-1", null, true, null));

        var after = (await reviewer.GetFromJsonAsync<JsonElement>($"/api/review/{_data.DatasetId}/neighbours?imageId={image}&k=6")).GetProperty("neighbours").EnumerateArray().ToList();

        Assert.Equal(6, before.Count);
        Assert.DoesNotContain(before, n => n.GetProperty("imageId").GetInt64() == image);
        Assert.All(before, n => Assert.Equal("import", n.GetProperty("source").GetString()));
        Assert.Equal(("review", "rejected"), (after[0].GetProperty("source").GetString(), after[0].GetProperty("label").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.GetAsync($"/api/review/{_data.DatasetId}/neighbours?imageId=999999")).StatusCode);
    }

    [Fact]
    public async Task The_dataset_page_counts_human_labels_per_class_and_links_the_review_queue()
    {
        var labelling = _factory.Services.GetRequiredService<LabelSubmissions>();
        // Two images agreed on class b (consensus), one decided class b by a reviewer, one rejected.
        foreach (var user in new[] { "u1", "u2" })
        {
            await labelling.SubmitAsync(new SubmitRequest(_data.DatasetId, user, $"agree-{user}", "single",
                [.. _data.ImageIds.Take(2).Select(id => new LabelItem(id, LabelEventKind.Label, _data.ClassIds[1]))]));
        }

        await _factory.Services.GetRequiredService<ReviewDecisions>().SetFinalAsync(new ReviewRequest(_data.DatasetId, _data.ImageIds[2], "r", "f-1", _data.ClassIds[1], false, null));
        await _factory.Services.GetRequiredService<ReviewDecisions>().SetFinalAsync(new ReviewRequest(_data.DatasetId, _data.ImageIds[3], "r", "f-2", null, true, null));
        var (reviewer, _) = await ReviewerAsync();

        var html = await reviewer.GetStringAsync($"/Datasets/Details/{_data.DatasetId}");

        Assert.Contains("4</strong> human labels (2 final, 2 consensus)", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/Review/Queue/{_data.DatasetId}\" id=\"review-queue-link\"", html, StringComparison.Ordinal);
        Assert.Single(HumanBadge().Matches(html));
        Assert.Contains(">3 human</span>", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("class=\"review-item\" data-image-id=\"(\\d+)\"")]
    private static partial Regex ItemPattern();

    [GeneratedRegex("data-testid=\"human-count\"")]
    private static partial Regex HumanBadge();
}
