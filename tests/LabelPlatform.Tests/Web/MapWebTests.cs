using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Maps;
using LabelPlatform.Jobs;
using LabelPlatform.Testing;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>The map job, the map JSON and "label the selection" over HTTP, against the real app.</summary>
public sealed class MapWebTests : IAsyncLifetime
{
    private readonly PlatformFactory _factory = new();
    private MapDataset _data = null!;

    public async Task InitializeAsync()
    {
        await _factory.CreateUserAsync("labeller@map.test", Roles.Labeller);
        await _factory.CreateUserAsync("reviewer@map.test", Roles.Reviewer);
        _data = await MapSeed.CreateAsync(_factory.Services, "map-web", images: 300, classes: 3, dimension: 32);
    }

    public Task DisposeAsync()
    {
        _factory.Dispose();
        return Task.CompletedTask;
    }

    private async Task<MapSummary> RunMapJobAsync()
    {
        var run = await _factory.Services.GetRequiredService<JobRunService>().CreateAsync(JobKinds.Map, _data.DatasetId, new MapParameters(_data.ModelId), "test");
        var summary = await _factory.Services.GetRequiredService<MapJob>().RunAsync(run.Id, CancellationToken.None);
        Assert.NotNull(summary);
        Assert.Equal(JobState.Succeeded, (await _factory.Services.GetRequiredService<JobRunService>().FindAsync(run.Id))!.State);
        return summary;
    }

    private async Task<JsonElement> GetMapAsync(HttpClient client)
    {
        var response = await client.GetAsync($"/api/map/{_data.DatasetId}?model={_data.ModelId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private Task<HttpResponseMessage> LabelAsync(HttpClient client, string? token, string clientId, int classId, IEnumerable<long> ids)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/map/{_data.DatasetId}/label") { Content = JsonContent.Create(new { clientId, classId, imageIds = ids.ToArray() }) };
        if (token is not null)
        {
            request.Headers.Add("RequestVerificationToken", token);
        }

        return client.SendAsync(request);
    }

    [Fact]
    public async Task The_map_job_stores_one_map_per_dataset_and_model_and_the_json_has_every_point_with_its_import_label()
    {
        var reviewer = await _factory.SignInAsync("reviewer@map.test", PlatformFactory.UserPassword);
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.GetAsync($"/api/map/{_data.DatasetId}?model={_data.ModelId}")).StatusCode);

        var summary = await RunMapJobAsync();
        Assert.Equal(300, summary.Points);
        await RunMapJobAsync();
        using (var scope = _factory.Services.CreateScope())
        {
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().EmbeddingMaps.CountAsync(m => m.DatasetId == _data.DatasetId));
        }

        var map = await GetMapAsync(reviewer);
        var ids = map.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToList();
        Assert.Equal(_data.ImageIds.Order(), ids.Order());
        var classes = map.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("id").GetInt32()).ToList();
        var import = map.GetProperty("import").EnumerateArray().Select(e => e.GetInt32()).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            Assert.Equal(_data.ClassOf(ids[i]), classes[import[i]]);
        }

        Assert.All(map.GetProperty("x").EnumerateArray().Concat(map.GetProperty("y").EnumerateArray()), v => Assert.InRange(v.GetInt32(), 0, MapView.Scale));
        Assert.All(map.GetProperty("final").EnumerateArray(), v => Assert.Equal(MapView.None, v.GetInt32()));

        // Labellers see neither the map nor its import labels.
        var labeller = await _factory.SignInAsync("labeller@map.test", PlatformFactory.UserPassword);
        Assert.Equal(HttpStatusCode.Forbidden, (await labeller.GetAsync($"/api/map/{_data.DatasetId}?model={_data.ModelId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await labeller.GetAsync($"/Datasets/Map/{_data.DatasetId}")).StatusCode);
    }

    [Fact]
    public async Task Labelling_a_selection_is_one_reviewer_decision_per_image_needs_the_header_and_a_resend_changes_nothing()
    {
        await RunMapJobAsync();
        var reviewer = await _factory.SignInAsync("reviewer@map.test", PlatformFactory.UserPassword);
        var token = await reviewer.GetAntiforgeryTokenAsync($"/Datasets/Map/{_data.DatasetId}?model={_data.ModelId}");
        var selection = _data.ImageIds.Take(12).ToList();
        var target = _data.ClassNames.Keys.Order().First();

        Assert.Equal(HttpStatusCode.BadRequest, (await LabelAsync(reviewer, null, "sel-1", target, selection)).StatusCode);
        var labeller = await _factory.SignInAsync("labeller@map.test", PlatformFactory.UserPassword);
        var labellerToken = await labeller.GetAntiforgeryTokenAsync($"/Label/Work/{_data.DatasetId}");
        Assert.Equal(HttpStatusCode.Forbidden, (await LabelAsync(labeller, labellerToken, "sel-1", target, selection)).StatusCode);
        using (var scope = _factory.Services.CreateScope())
        {
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().FinalLabels.CountAsync());
        }

        var first = await (await LabelAsync(reviewer, token, "sel-1", target, selection)).Content.ReadFromJsonAsync<MapLabelResult>();
        Assert.Equal((12, 0, 0), (first!.Labelled, first.Unchanged, first.Conflicts));
        var resent = await (await LabelAsync(reviewer, token, "sel-1", target, selection)).Content.ReadFromJsonAsync<MapLabelResult>();
        Assert.Equal((0, 12, 0), (resent!.Labelled, resent.Unchanged, resent.Conflicts));

        // Two of them relabelled as another class: a new action over the versions the first one wrote.
        var other = _data.ClassNames.Keys.Order().Last();
        var again = await (await LabelAsync(reviewer, token, "sel-2", other, selection.Take(2))).Content.ReadFromJsonAsync<MapLabelResult>();
        Assert.Equal(2, again!.Labelled);

        using (var scope = _factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
            var finals = await db.FinalLabels.AsNoTracking().ToDictionaryAsync(f => f.ImageId);
            Assert.Equal(12, finals.Count);
            Assert.All(selection.Take(2), id => Assert.Equal((other, 2), (finals[id].ClassId!.Value, finals[id].Version)));
            Assert.All(selection.Skip(2), id => Assert.Equal((target, 1), (finals[id].ClassId!.Value, finals[id].Version)));
            Assert.Equal(14, await db.LabelEvents.CountAsync(e => e.Kind == LabelEventKind.Review));
        }

        var map = await GetMapAsync(reviewer);
        var ids = map.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToList();
        var classes = map.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("id").GetInt32()).ToList();
        var final = map.GetProperty("final").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.Equal(other, classes[final[ids.IndexOf(selection[0])]]);
        Assert.Equal(target, classes[final[ids.IndexOf(selection[5])]]);
        Assert.Equal(MapView.None, final[ids.IndexOf(_data.ImageIds[200])]);

        // Images of another dataset or an unknown class are refused before anything is written.
        Assert.Equal(HttpStatusCode.NotFound, (await LabelAsync(reviewer, token, "sel-3", target, [999_999])).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await LabelAsync(reviewer, token, "sel-4", 999_999, selection)).StatusCode);
    }
}
