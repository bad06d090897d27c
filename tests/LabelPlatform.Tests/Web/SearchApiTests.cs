using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>A platform with a small Caltech dataset embedded with MobileNetV2, shared by the search tests.</summary>
public sealed class SearchFixture : IAsyncLifetime
{
    private readonly ImportFolder _folder = new ImportFolder().AddCaltech("accordion", 6).AddCaltech("Faces", 6).AddCaltech("anchor", 6);

    public PlatformFactory Factory { get; } = new();
    public string ApiToken { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var services = Factory.Services;
        var dataset = await services.GetRequiredService<DatasetService>().GetOrCreateAsync("search-test", null, "test");
        var runs = services.GetRequiredService<JobRunService>();
        var import = await runs.CreateAsync(JobKinds.Import, dataset.Id, new ImportParameters { Source = ImportSources.Folder, Path = _folder.Root }, "test");
        await services.GetRequiredService<ImportDatasetJob>().ImportAsync(import.Id, CancellationToken.None);
        var model = (await services.GetRequiredService<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        var embed = await runs.CreateAsync(JobKinds.Embed, dataset.Id, new EmbedParameters(model.Id), "test");
        var summary = await services.GetRequiredService<EmbedDatasetJob>().RunAsync(embed.Id, CancellationToken.None);
        Assert.Equal(18, summary!.Embedded);
        ApiToken = (await services.GetRequiredService<ApiTokenService>().CreateAsync("tests", await Factory.UserIdAsync(PlatformFactory.AdminEmail), "test")).Plain;
    }

    public HttpClient TokenClient()
    {
        var client = Factory.CreateBrowserClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiToken);
        return client;
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        _folder.Dispose();
        return Task.CompletedTask;
    }
}

public class SearchApiTests(SearchFixture fixture) : IClassFixture<SearchFixture>
{
    private static MultipartFormDataContent Form(byte[]? image = null, params (string Key, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (key, value) in fields)
        {
            form.Add(new StringContent(value), key);
        }

        if (image is not null)
        {
            var file = new ByteArrayContent(image);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(file, "image", "query.jpg");
        }

        return form;
    }

    [Fact]
    public async Task A_stored_image_uploaded_as_the_query_comes_back_first_with_its_stored_embedding()
    {
        var query = await File.ReadAllBytesAsync(TestImages.CaltechFiles("Faces", 3).Last());

        var response = await fixture.TokenClient().PostAsync("/api/search", Form(query, ("dataset", "search-test"), ("model", "mobilenetv2"), ("k", "5")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var results = json.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(5, results.Count);
        Assert.Equal("Faces/image_0003.jpg", results[0].GetProperty("origin").GetString());
        // The API's embedding of the uploaded file equals the stored one: cosine of unit vectors = 1.
        Assert.True(results[0].GetProperty("score").GetSingle() >= 0.9999f, results[0].ToString());
        Assert.Equal("Faces", results[0].GetProperty("class").GetString());
        Assert.Equal(18, json.GetProperty("indexSize").GetInt32());
        var scores = results.Select(r => r.GetProperty("score").GetSingle()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
    }

    [Fact]
    public async Task A_png_whose_text_chunk_inflates_to_300_MB_is_answered_at_once()
    {
        var bomb = HostileImages.PngMetadataBomb("zTXt");
        await fixture.TokenClient().PostAsync("/api/search", Form(TestImages.Png(), ("dataset", "search-test"), ("model", "mobilenetv2"))); // warm

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await fixture.TokenClient().PostAsync("/api/search", Form(bomb, ("dataset", "search-test"), ("model", "mobilenetv2")));
        watch.Stop();

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"{watch.Elapsed.TotalMilliseconds:0} ms for {HostileImages.Describe(bomb)}");
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task More_like_this_by_image_id_excludes_the_image_and_honours_the_class_filter()
    {
        var first = await fixture.TokenClient().PostAsync("/api/search", Form(await File.ReadAllBytesAsync(TestImages.CaltechFiles("anchor", 1).First()), ("dataset", "search-test"), ("k", "1"), ("model", "mobilenetv2")));
        var imageId = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0].GetProperty("imageId").GetInt64();

        var response = await fixture.TokenClient().PostAsync("/api/search", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["dataset"] = "search-test",
            ["model"] = "mobilenetv2",
            ["imageId"] = imageId.ToString(),
            ["k"] = "10",
            ["class"] = "accordion",
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(6, results.Count); // the six accordions, nothing else
        Assert.All(results, r => Assert.Equal("accordion", r.GetProperty("class").GetString()));
        Assert.DoesNotContain(results, r => r.GetProperty("imageId").GetInt64() == imageId);
    }

    public static TheoryData<string, int, string> BadRequests() => new()
    {
        { "unknown-dataset", 404, "does not exist" },
        { "unknown-model", 404, "not registered" },
        { "k-zero", 400, "k must be between" },
        { "k-huge", 400, "k must be between" },
        { "broken-image", 400, "refused" },
        { "nothing", 400, "either an image id or an image file" },
        { "unknown-class", 404, "is not in dataset" },
        { "foreign-image", 404, "is not in this dataset" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_a_problem_with_the_reason(string problem, int status, string reason)
    {
        var jpeg = TestImages.Jpeg();
        var form = problem switch
        {
            "unknown-dataset" => Form(jpeg, ("dataset", "nope")),
            "unknown-model" => Form(jpeg, ("dataset", "search-test"), ("model", "no-such-model")),
            "k-zero" => Form(jpeg, ("dataset", "search-test"), ("k", "0")),
            "k-huge" => Form(jpeg, ("dataset", "search-test"), ("k", "100000")),
            "broken-image" => Form(TestImages.TruncatedJpeg(), ("dataset", "search-test")),
            "nothing" => Form(null, ("dataset", "search-test")),
            "unknown-class" => Form(jpeg, ("dataset", "search-test"), ("class", "zebra")),
            _ => Form(null, ("dataset", "search-test"), ("imageId", "987654")),
        };

        var response = await fixture.TokenClient().PostAsync("/api/search", form);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_needs_a_token_or_a_signed_in_user_with_the_antiforgery_token()
    {
        var anonymous = await fixture.Factory.CreateBrowserClient().PostAsync("/api/search", Form(TestImages.Jpeg(), ("dataset", "search-test")));
        var badToken = fixture.Factory.CreateBrowserClient();
        badToken.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "lp_not-a-real-token");
        var forged = await badToken.PostAsync("/api/search", Form(TestImages.Jpeg(), ("dataset", "search-test")));
        await fixture.Factory.CreateUserAsync($"api-{Guid.NewGuid():N}@test.local", Roles.Labeller);
        var labeller = await fixture.Factory.SignInAsync((await LastUserAsync()), PlatformFactory.UserPassword);
        var cookieWithoutToken = await labeller.PostAsync("/api/search", Form(TestImages.Jpeg(), ("dataset", "search-test")));
        var token = await labeller.GetAntiforgeryTokenAsync("/Search");
        var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/search") { Content = Form(TestImages.Jpeg(), ("dataset", "search-test"), ("model", "mobilenetv2")) };
        withToken.Headers.Add("RequestVerificationToken", token);
        var cookieWithToken = await labeller.SendAsync(withToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, cookieWithoutToken.StatusCode);
        Assert.Contains("antiforgery", await cookieWithoutToken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, cookieWithToken.StatusCode);
    }

    [Fact]
    public async Task Openapi_document_describes_the_search_endpoint()
    {
        var response = await fixture.Factory.CreateBrowserClient().GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var post = doc.GetProperty("paths").GetProperty("/api/search").GetProperty("post");
        Assert.Equal("Search", post.GetProperty("operationId").GetString());
        Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("multipart/form-data", out _));
    }

    [Fact]
    public async Task Search_page_shows_more_like_this_results_with_scores()
    {
        var admin = await fixture.Factory.SignInAdminAsync();
        var api = await fixture.TokenClient().PostAsync("/api/search", Form(await File.ReadAllBytesAsync(TestImages.CaltechFiles("accordion", 2).Last()), ("dataset", "search-test"), ("k", "1"), ("model", "mobilenetv2")));
        var imageId = JsonDocument.Parse(await api.Content.ReadAsStringAsync()).RootElement.GetProperty("results")[0].GetProperty("imageId").GetInt64();
        var datasetId = (await fixture.Factory.Services.GetRequiredService<DatasetService>().FindByNameAsync("search-test"))!.Id;

        var page = await admin.GetStringAsync($"/Search?DatasetId={datasetId}&ModelName=mobilenetv2&K=4&ImageId={imageId}");

        Assert.Contains("id=\"result-grid\"", page, StringComparison.Ordinal);
        Assert.Equal(4, page.Split("class=\"thumb result\"").Length - 1);
        // The query is shown beside the results (the query pane), never among them.
        Assert.DoesNotContain($"class=\"thumb result\" data-image-id=\"{imageId}\"", page, StringComparison.Ordinal);
        Assert.Contains($"id=\"query-image\" src=\"/images/{imageId}/thumb\"", page, StringComparison.Ordinal);
        Assert.Contains("more like this", page, StringComparison.Ordinal);
    }

    private async Task<string> LastUserAsync()
    {
        using var scope = fixture.Factory.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<PlatformUser>>();
        return users.Users.OrderByDescending(u => u.CreatedAt).Select(u => u.Email!).First();
    }
}
