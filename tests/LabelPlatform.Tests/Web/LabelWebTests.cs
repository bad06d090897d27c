using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>The labelling JSON API and the review page over HTTP, against the real app.</summary>
public sealed class LabelWebTests : IAsyncLifetime
{
    private readonly PlatformFactory _factory = new();
    private SeededDataset _data = null!;

    public async Task InitializeAsync()
    {
        await _factory.CreateUserAsync("l1@test.local", Roles.Labeller);
        await _factory.CreateUserAsync("l2@test.local", Roles.Labeller);
        await _factory.CreateUserAsync("r1@test.local", Roles.Reviewer);
        await _factory.CreateUserAsync("r2@test.local", Roles.Reviewer);
        _data = await EvaluationSeed.CreateAsync(_factory.Services, "web-labels", classes: 3, perClass: 10);
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    private async Task<(HttpClient Client, string Token)> LabellerAsync(string email)
    {
        var client = await _factory.SignInAsync(email, PlatformFactory.UserPassword);
        return (client, await client.GetAntiforgeryTokenAsync($"/Label/Work/{_data.DatasetId}"));
    }

    private Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string? token, string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/label/{_data.DatasetId}/{path}") { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }

        return client.SendAsync(request);
    }

    private async Task<int> EventCountAsync()
    {
        using var scope = _factory.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().LabelEvents.CountAsync();
    }

    [Fact]
    public async Task Submit_needs_the_antiforgery_header_and_a_resubmission_returns_the_stored_result()
    {
        var (client, token) = await LabellerAsync("l1@test.local");
        var next = await client.GetFromJsonAsync<JsonElement>($"/api/label/{_data.DatasetId}/next?count=2");
        var images = next.GetProperty("images");
        var image = images[0].GetProperty("id").GetInt64();
        // No human labels yet, so no suggestions (import labels are hidden): the page would send none; one is made up here.
        var classId = _data.ClassIds[0];
        var body = new
        {
            clientId = "web-1", source = "single",
            items = new[] { new { imageId = image, action = "label", classId, suggestions = new[] { new { classId, name = "x", confidence = 0.9 } } } },
        };

        var withoutToken = await PostJsonAsync(client, null, "submit", body);
        var first = await PostJsonAsync(client, token, "submit", body);
        var again = await PostJsonAsync(client, token, "submit", body);
        var badAction = await PostJsonAsync(client, token, "submit", new { clientId = "web-2", items = new[] { new { imageId = image, action = "delete" } } });
        var nullItem = await PostJsonAsync(client, token, "submit", new { clientId = "web-3", items = new object?[] { null } });
        var nullSuggestion = await PostJsonAsync(client, token, "submit", new { clientId = "web-4", items = new[] { new { imageId = image, action = "skip", suggestions = new object?[] { null } } } });
        var anonymous = await _factory.CreateBrowserClient().PostAsync($"/api/label/{_data.DatasetId}/submit", JsonContent.Create(body));

        Assert.Equal(2, images.GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var (a, b) = (await first.Content.ReadFromJsonAsync<JsonElement>(), await again.Content.ReadFromJsonAsync<JsonElement>());
        Assert.False(a.GetProperty("duplicate").GetBoolean());
        Assert.True(b.GetProperty("duplicate").GetBoolean());
        Assert.Equal(a.GetProperty("eventIds")[0].GetInt64(), b.GetProperty("eventIds")[0].GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, badAction.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (nullItem.StatusCode, nullSuggestion.StatusCode));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(1, await EventCountAsync());

        // The image's page shows the event with its suggestion and client id.
        var details = await client.GetStringAsync($"/Images/Details/{image}");
        Assert.Contains("label-history", details, StringComparison.Ordinal);
        Assert.Contains("web-1", details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_reviewers_deciding_the_same_image_the_second_gets_a_conflict_message()
    {
        // Two labellers disagree on one image: it enters the no-consensus queue (overlap 2 by default).
        var image = _data.ImageIds[3];
        foreach (var (email, cls) in new[] { ("l1@test.local", 0), ("l2@test.local", 1) })
        {
            var (client, token) = await LabellerAsync(email);
            var response = await PostJsonAsync(client, token, "submit", new { clientId = $"d-{email}", items = new[] { new { imageId = image, action = "label", classId = _data.ClassIds[cls] } } });
            response.EnsureSuccessStatusCode();
        }

        var r1 = await _factory.SignInAsync("r1@test.local", PlatformFactory.UserPassword);
        var r2 = await _factory.SignInAsync("r2@test.local", PlatformFactory.UserPassword);
        var queue = $"/Review/Queue/{_data.DatasetId}";
        var page = await r1.GetStringAsync(queue);
        Assert.Contains($"data-image-id=\"{image}\"", page, StringComparison.Ordinal);

        // Both loaded the queue (no final label yet: empty expected version); r1 decides first.
        Dictionary<string, string> Decide(string clientId, int cls) => new()
        {
            ["Input.ImageId"] = image.ToString(), ["Input.ExpectedVersion"] = "", ["Input.ClientId"] = clientId,
            ["Input.ClassId"] = _data.ClassIds[cls].ToString(), ["Queue"] = "consensus",
        };
        var first = await r1.PostFormAsync(queue, Decide("r1-a", 0));
        var second = await r2.PostFormAsync(queue, Decide("r2-a", 1));
        var shown = await r2.GetStringAsync(second.Headers.Location!.OriginalString);
        var resubmitted = await r1.PostFormAsync(queue, Decide("r1-a", 0));
        var after = await r1.GetStringAsync(resubmitted.Headers.Location!.OriginalString);

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Contains("id=\"conflict\"", shown, StringComparison.Ordinal);
        Assert.Contains("r1@test.local set the final label", shown, StringComparison.Ordinal);
        Assert.Contains("already saved", after, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-image-id=\"{image}\"", after, StringComparison.Ordinal);
        using var scope = _factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var final = await db.FinalLabels.SingleAsync();
        Assert.Equal((_data.ClassIds[0], 1), (final.ClassId, final.Version));
        Assert.Equal(1, await db.LabelEvents.CountAsync(e => e.Kind == LabelEventKind.Review));

        // The export names who decided.
        var csv = await r1.GetStringAsync($"/Review/Export/{_data.DatasetId}?format=csv");
        Assert.Contains($"{image},", csv, StringComparison.Ordinal);
        Assert.Contains("review,r1@test.local", csv, StringComparison.Ordinal);
        var jsonl = (await r1.GetStringAsync($"/Review/Export/{_data.DatasetId}?format=jsonl")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(_data.ImageIds.Count, jsonl.Length);
        var row = jsonl.Select(l => JsonDocument.Parse(l).RootElement).Single(r => r.GetProperty("image_id").GetInt64() == image);
        Assert.Equal(2, row.GetProperty("votes").GetArrayLength());

        // Images by class: the reviewed image's file sits in its final class's folder; files missing from the store are listed, not fatal.
        var stored = await db.Images.Where(i => i.DatasetId == _data.DatasetId).OrderBy(i => i.Id != image).ThenBy(i => i.Id).Take(3).ToListAsync();
        foreach (var i in stored)
        {
            await _factory.Services.GetRequiredService<LabelPlatform.Core.Images.IBlobStorage>().PutIfAbsentAsync(
                LabelPlatform.Core.Images.ImageStore.OriginalKey(i.Sha256, i.Format), System.Text.Encoding.ASCII.GetBytes($"image {i.Id}"), default);
        }

        var names = await db.ImageClasses.Where(c => c.DatasetId == _data.DatasetId).ToDictionaryAsync(c => c.Id, c => c.Name);
        var reviewedSha = stored.Single(i => i.Id == image).Sha256;
        var manifest = await r1.GetStringAsync($"/Review/Export/{_data.DatasetId}?format=folders");
        Assert.Contains($"{names[_data.ClassIds[0]]}/{reviewedSha}.jpg\timages/{reviewedSha[..2]}/{reviewedSha[2..4]}/{reviewedSha}.jpg\t{image}\n", manifest, StringComparison.Ordinal);
        using var zipResponse = await r1.GetAsync($"/Review/Export/{_data.DatasetId}?format=zip");
        Assert.Equal("application/zip", zipResponse.Content.Headers.ContentType?.MediaType);
        using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()));
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Equal(stored.Count + 2, entries.Count);
        Assert.Contains("labels.csv", entries);
        var reviewed = stored.Single(i => i.Id == image);
        var entry = zip.GetEntry($"{names[_data.ClassIds[0]]}/{reviewed.Sha256}.jpg")!;
        using (var reader = new StreamReader(entry.Open()))
        {
            Assert.Equal($"image {image}", await reader.ReadToEndAsync());
        }

        using var missing = new StreamReader(zip.GetEntry("missing.tsv")!.Open());
        Assert.Equal(_data.ImageIds.Count - stored.Count + 1, (await missing.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task The_import_queue_reads_the_newest_leave_one_out_run_and_says_so()
    {
        var r1 = await _factory.SignInAsync("r1@test.local", PlatformFactory.UserPassword);
        var page = $"/Review/Queue/{_data.DatasetId}?queue=import";
        Assert.Contains("this dataset has none yet", await r1.GetStringAsync(page), StringComparison.Ordinal);

        var evaluations = _factory.Services.GetRequiredService<LabelPlatform.Core.Evaluation.EvaluationService>();
        var split = await evaluations.GetOrCreateSplitAsync(_data.DatasetId, null, LabelPlatform.Core.Evaluation.SplitProtocols.LeaveOneOut, 1, "test");
        var run = await EvaluationSeed.EvaluateAsync(_factory.Services, _data.DatasetId, split.Id, _data.ModelId);
        var (source, expected) = await _factory.Services.GetRequiredService<LabelPlatform.Core.Review.ImportSuspectQueue>().FindAsync(_data.DatasetId);
        var html = await r1.GetStringAsync(page);

        Assert.Equal(run.Id, source!.RunId);
        Assert.Contains($"from <a href=\"/Evaluation/Report/{run.Id}\">evaluation run {run.Id}</a>", html, StringComparison.Ordinal);
        Assert.Contains($"data-total=\"{expected.Count}\"", html, StringComparison.Ordinal);
        // The seeded classes overlap a little: some imported labels are outvoted by their neighbours, and each is listed.
        Assert.NotEmpty(expected);
        Assert.All(expected.Take(QueueShown), d => Assert.Contains($"data-image-id=\"{d.ImageId}\"", html, StringComparison.Ordinal));
    }

    private const int QueueShown = LabelPlatform.Web.Pages.Review.QueueModel.Shown;
}
