using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Identity;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>
/// The platform on a real Kestrel socket (the in-memory test server enforces no body limits), with a signed-in admin,
/// a labeller, an API token and one dataset.
/// </summary>
public sealed class ApiProblemFixture : IAsyncLifetime
{
    public PlatformFactory Factory { get; } = new();
    public HttpClient Anonymous { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Labeller { get; private set; } = null!;
    public HttpClient Token { get; private set; } = null!;
    public HttpClient BadToken { get; private set; } = null!;
    public int DatasetId { get; private set; }

    public async Task InitializeAsync()
    {
        Factory.StartOnSocket();
        Anonymous = Client();
        Admin = await Factory.SignInAdminAsync();
        var adminToken = await Admin.GetAntiforgeryTokenAsync("/Account/Logout");
        Admin.DefaultRequestHeaders.Add("RequestVerificationToken", adminToken);
        await Factory.CreateUserAsync("labeller@test.local", Roles.Labeller);
        Labeller = await Factory.SignInAsync("labeller@test.local", PlatformFactory.UserPassword);
        var plain = (await Factory.Services.GetRequiredService<ApiTokenService>().CreateAsync("problems", await Factory.UserIdAsync(PlatformFactory.AdminEmail), "test")).Plain;
        Token = Client();
        Token.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", plain);
        BadToken = Client();
        BadToken.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "lp_not-a-real-token");
        foreach (var client in new[] { Anonymous, Admin, Labeller, Token, BadToken })
        {
            // Kestrel answers an over-limit body before it is sent, as a well-behaved client asks it to.
            client.DefaultRequestHeaders.ExpectContinue = true;
        }

        using var scope = Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var dataset = new Dataset { Name = "problems", CreatedAt = DateTimeOffset.UtcNow };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync();
        DatasetId = dataset.Id;
    }

    private HttpClient Client() => Factory.CreateBrowserClient();

    private readonly System.Collections.Concurrent.ConcurrentBag<(int Status, bool Problem)> _answers = [];

    public void Record(int status, bool problem) => _answers.Add((status, problem));

    public Task DisposeAsync()
    {
        HostileReport.Write("api",
        [
            $"malformed requests sent to /api endpoints: {_answers.Count}",
            $"answers 500 or above: {_answers.Count(a => a.Status >= 500)}",
            $"answers without a problem document: {_answers.Count(a => !a.Problem)}",
            $"statuses: {string.Join(", ", _answers.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} x{g.Count()}"))}",
        ]);
        Factory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Every malformed input the issue lists, sent to every /api endpoint: never a 5xx, always a problem document.</summary>
public class ApiProblemTests(ApiProblemFixture fixture) : IClassFixture<ApiProblemFixture>
{
    private const string Search = "/api/search";

    private sealed record Case(string Who, HttpMethod Method, string Path, Func<HttpContent?> Body, int Expected);

    private static readonly Dictionary<string, Case> Cases = BuildCases();

    private static Dictionary<string, Case> BuildCases()
    {
        var cases = new Dictionary<string, Case>(StringComparer.Ordinal);
        var label = "/api/label/{dataset}";
        string[] labelGets = [$"{label}/next", $"{label}/expand?seed=1"];
        string[] labelPosts = [$"{label}/submit", $"{label}/undo"];
        var everyEndpoint = labelGets.Select(p => (HttpMethod.Get, p)).Concat(labelPosts.Select(p => (HttpMethod.Post, p)))
            .Append((HttpMethod.Post, Search)).Append((HttpMethod.Get, "/api/jobs/status?ids=1"));
        foreach (var (method, path) in everyEndpoint)
        {
            var body = method == HttpMethod.Post ? (Func<HttpContent?>)(() => Json("{}")) : () => null;
            cases[$"anonymous {method} {path}"] = new("anonymous", method, path, body, 401);
            cases[$"bad token {method} {path}"] = new("badtoken", method, path, body, 401);
        }

        // Bodies over Kestrel's 30,000,000-byte default, and forms no parser should choke on.
        foreach (var (who, path) in new[] { ("token", Search), ("admin", $"{label}/submit") })
        {
            var type = path == Search ? "multipart/form-data; boundary=xyz" : "application/json";
            cases[$"29 MB {path}"] = new(who, HttpMethod.Post, path, () => Raw(29 << 20, type), 413);
            cases[$"60 MB {path}"] = new(who, HttpMethod.Post, path, () => Raw(60 << 20, type), 413);
            cases[$"multipart without boundary {path}"] = new(who, HttpMethod.Post, path, () => Text("--\r\n\r\n", "multipart/form-data"), path == Search ? 400 : 415);
            cases[$"malformed multipart {path}"] = new(who, HttpMethod.Post, path, () => Text("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", "multipart/form-data; boundary=xyz"), path == Search ? 400 : 415);
            cases[$"5000 multipart fields {path}"] = new(who, HttpMethod.Post, path, () => ManyMultipartFields(5000), path == Search ? 400 : 415);
            cases[$"100k urlencoded fields {path}"] = new(who, HttpMethod.Post, path, () => Text(string.Join('&', Enumerable.Range(0, 100_000).Select(i => $"f{i}=1")), "application/x-www-form-urlencoded"), path == Search ? 400 : 415);
        }

        cases["search: JSON instead of a form"] = new("token", HttpMethod.Post, Search, () => Json("{\"dataset\":\"problems\"}"), 415);
        cases["search: unknown dataset"] = new("token", HttpMethod.Post, Search, () => Form(("dataset", "no-such"), ("imageId", "1")), 404);
        cases["search: k not a number"] = new("token", HttpMethod.Post, Search, () => Form(("dataset", "problems"), ("k", "ten")), 400);
        cases["search: imageId not a number"] = new("token", HttpMethod.Post, Search, () => Form(("dataset", "problems"), ("imageId", "x")), 400);
        cases["search: unknown model"] = new("token", HttpMethod.Post, Search, () => Form(("dataset", "problems"), ("model", "no-such-model"), ("imageId", "1")), 404);
        cases["search: cookie without antiforgery"] = new("labeller", HttpMethod.Post, Search, () => Form(("dataset", "problems")), 400);
        cases["search: GET"] = new("token", HttpMethod.Get, Search, () => null, 405);

        cases["label: next of a dataset that does not exist"] = new("admin", HttpMethod.Get, "/api/label/999999/next", () => null, 404);
        cases["label: expand of a dataset that does not exist"] = new("admin", HttpMethod.Get, "/api/label/999999/expand?seed=1", () => null, 404);
        cases["label: dataset id not a number"] = new("admin", HttpMethod.Get, "/api/label/abc/next", () => null, 404);
        cases["label: count not a number"] = new("admin", HttpMethod.Get, $"{label}/next?count=many", () => null, 400);
        cases["label: expand without a seed"] = new("admin", HttpMethod.Get, $"{label}/expand", () => null, 400);
        cases["label: malformed JSON"] = new("admin", HttpMethod.Post, $"{label}/submit", () => Json("{\"clientId\": "), 400);
        cases["label: JSON of the wrong shape"] = new("admin", HttpMethod.Post, $"{label}/submit", () => Json("{\"clientId\": 5, \"items\": \"none\"}"), 400);
        cases["label: no body"] = new("admin", HttpMethod.Post, $"{label}/submit", () => Json(""), 400);
        cases["label: text/plain"] = new("admin", HttpMethod.Post, $"{label}/submit", () => Text("label it", "text/plain"), 415);
        cases["label: no items"] = new("admin", HttpMethod.Post, $"{label}/submit", () => Json("{\"clientId\":\"c1\",\"items\":[]}"), 400);
        cases["label: unknown action"] = new("admin", HttpMethod.Post, $"{label}/submit", () => Json("{\"clientId\":\"c2\",\"items\":[{\"imageId\":1,\"action\":\"burn\"}]}"), 400);
        cases["label: image not in the dataset"] = new("admin", HttpMethod.Post, $"{label}/submit", () => Json("{\"clientId\":\"c3\",\"items\":[{\"imageId\":424242,\"action\":\"skip\"}]}"), 404);
        cases["label: submit to a dataset that does not exist"] = new("admin", HttpMethod.Post, "/api/label/999999/submit", () => Json("{\"clientId\":\"c4\",\"items\":[{\"imageId\":1,\"action\":\"skip\"}]}"), 404);
        cases["label: undo with nothing to undo"] = new("admin", HttpMethod.Post, $"{label}/undo", () => Json("{\"clientId\":\"c5\"}"), 404);
        cases["label: cookie without antiforgery"] = new("labeller", HttpMethod.Post, $"{label}/submit", () => Json("{\"clientId\":\"c6\",\"items\":[]}"), 400);
        cases["label: token (cookie-only API)"] = new("token", HttpMethod.Get, $"{label}/next", () => null, 401);

        cases["jobs: no ids"] = new("admin", HttpMethod.Get, "/api/jobs/status", () => null, 400);
        cases["jobs: a labeller"] = new("labeller", HttpMethod.Get, "/api/jobs/status?ids=1", () => null, 403);
        cases["unknown api route"] = new("admin", HttpMethod.Get, "/api/nothing-here", () => null, 404);
        return cases;
    }

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Malformed_input_gets_a_problem_document_never_a_5xx(string name)
    {
        var c = Cases[name];
        var client = c.Who switch
        {
            "anonymous" => fixture.Anonymous,
            "badtoken" => fixture.BadToken,
            "token" => fixture.Token,
            "labeller" => fixture.Labeller,
            _ => fixture.Admin,
        };
        using var request = new HttpRequestMessage(c.Method, c.Path.Replace("{dataset}", fixture.DatasetId.ToString(), StringComparison.Ordinal)) { Content = c.Body() };
        if (c.Who == "labeller")
        {
            request.Headers.Add("RequestVerificationToken", "not-the-token");
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        fixture.Record((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType == "application/problem+json");

        Assert.True((int)response.StatusCode < 500, $"{name}: {(int)response.StatusCode} {body}");
        Assert.Equal(c.Expected, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(c.Expected, problem.RootElement.GetProperty("status").GetInt32());
    }

    private static ByteArrayContent Raw(int bytes, string contentType)
    {
        var content = new ByteArrayContent(new byte[bytes]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static StringContent Text(string text, string contentType)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static StringContent Json(string json) => Text(json, "application/json");

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => KeyValuePair.Create(f.Key, f.Value)));

    private static MultipartFormDataContent ManyMultipartFields(int count)
    {
        var form = new MultipartFormDataContent();
        for (var i = 0; i < count; i++)
        {
            form.Add(new StringContent("1"), $"f{i}");
        }

        return form;
    }
}
