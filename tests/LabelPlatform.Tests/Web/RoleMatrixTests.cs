using System.Net;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>One platform with a user per role, a dataset, an image and a job run, shared by the matrix rows.</summary>
public sealed class RoleMatrixFixture : IAsyncLifetime
{
    public PlatformFactory Factory { get; } = new();
    public Dictionary<string, HttpClient> Clients { get; } = [];
    public int DatasetId { get; private set; }
    public long ImageId { get; private set; }
    public long JobRunId { get; private set; }
    public int ModelId { get; private set; }
    public int CrawlId { get; private set; }
    public string LabellerId { get; private set; } = "";

    /// <summary>An account no client signs in as: the reset and delete rows act on it without breaking the others.</summary>
    public string SpareId { get; private set; } = "";
    public SeededDataset Evaluated { get; private set; } = null!;
    public long EvaluationRunId { get; private set; }
    public long BaselineRunId { get; private set; }
    public int SplitId { get; private set; }

    public async Task InitializeAsync()
    {
        Clients["Anonymous"] = Factory.CreateBrowserClient();
        Clients[Roles.Admin] = await Factory.SignInAdminAsync();
        await Factory.CreateUserAsync("reviewer@test.local", Roles.Reviewer);
        LabellerId = await Factory.CreateUserAsync("labeller@test.local", Roles.Labeller);
        Clients[Roles.Reviewer] = await Factory.SignInAsync("reviewer@test.local", PlatformFactory.UserPassword);
        Clients[Roles.Labeller] = await Factory.SignInAsync("labeller@test.local", PlatformFactory.UserPassword);
        await Factory.CreateUserAsync("norole@test.local");
        SpareId = await Factory.CreateUserAsync("spare@test.local", Roles.Labeller);
        Clients[RoleMatrixTests.NoRole] = await Factory.SignInAsync("norole@test.local", PlatformFactory.UserPassword);

        using var scope = Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var dataset = new Dataset { Name = "matrix", CreatedAt = DateTimeOffset.UtcNow };
        db.Datasets.Add(dataset);
        await db.SaveChangesAsync();
        var image = new DatasetImage { DatasetId = dataset.Id, Sha256 = new string('a', 64), Format = "JPEG", Origin = "x.jpg", Width = 1, Height = 1, Bytes = 1, CreatedAt = DateTimeOffset.UtcNow };
        // A finished run, so the cancel handler has nothing to stop and no job runs behind the matrix's back.
        var run = new JobRun { Kind = JobKinds.Import, State = JobState.Succeeded, DatasetId = dataset.Id, CreatedAt = DateTimeOffset.UtcNow };
        // A model row without a file: the pages list it; nothing ever runs it.
        var model = new EmbeddingModel
        {
            Name = "matrix-model", Version = 1, Sha256 = new string('b', 64), SourceSha256 = new string('b', 64), Origin = "test",
            InputName = "input", OutputName = "output", Dimension = 4, CreatedAt = DateTimeOffset.UtcNow,
        };
        db.AddRange(image, run, model);
        await db.SaveChangesAsync();
        (DatasetId, ImageId, JobRunId, ModelId) = (dataset.Id, image.Id, run.Id, model.Id);
        var crawl = new Crawl { DatasetId = dataset.Id, State = CrawlState.Completed, SettingsJson = "{\"seeds\":[\"http://127.0.0.1/\"]}", CreatedAt = DateTimeOffset.UtcNow };
        db.Crawls.Add(crawl);
        await db.SaveChangesAsync();
        CrawlId = crawl.Id;
        // An embed run already queued (never enqueued) for the dataset and model: the admin's "Compute embeddings"
        // gets it back, so the matrix starts no job behind its own back.
        await scope.ServiceProvider.GetRequiredService<JobRunService>().CreateAsync(JobKinds.Embed, DatasetId, new EmbedParameters(ModelId), "matrix");
        // Likewise a queued map run, which the admin's "Compute map" finds instead of starting one.
        await scope.ServiceProvider.GetRequiredService<JobRunService>().CreateAsync(JobKinds.Map, DatasetId, new Core.Maps.MapParameters(ModelId), "matrix");

        // Two finished evaluation runs (made-up vectors, and the random baseline) for the report pages, run here.
        Evaluated = await EvaluationSeed.CreateAsync(Factory.Services, "matrix-eval", classes: 2);
        var split = await Factory.Services.GetRequiredService<EvaluationService>().GetOrCreateSplitAsync(Evaluated.DatasetId, null, SplitProtocols.Article, 1, "matrix");
        SplitId = split.Id;
        EvaluationRunId = (await EvaluationSeed.EvaluateAsync(Factory.Services, Evaluated.DatasetId, split.Id, Evaluated.ModelId)).Id;
        BaselineRunId = (await EvaluationSeed.EvaluateAsync(Factory.Services, Evaluated.DatasetId, split.Id, null)).Id;
    }

    public string Expand(string path) => path
        .Replace("{dataset}", DatasetId.ToString(), StringComparison.Ordinal)
        .Replace("{image}", ImageId.ToString(), StringComparison.Ordinal)
        .Replace("{run}", JobRunId.ToString(), StringComparison.Ordinal)
        .Replace("{model}", ModelId.ToString(), StringComparison.Ordinal)
        .Replace("{labeller}", LabellerId, StringComparison.Ordinal)
        .Replace("{spare}", SpareId, StringComparison.Ordinal)
        .Replace("{crawl}", CrawlId.ToString(), StringComparison.Ordinal)
        .Replace("{evaluation}", EvaluationRunId.ToString(), StringComparison.Ordinal)
        .Replace("{baseline}", BaselineRunId.ToString(), StringComparison.Ordinal)
        .Replace("{eval-dataset}", Evaluated.DatasetId.ToString(), StringComparison.Ordinal)
        .Replace("{split}", SplitId.ToString(), StringComparison.Ordinal)
        .Replace("{eval-image}", Evaluated.ImageIds[0].ToString(), StringComparison.Ordinal)
        .Replace("{class-a}", Evaluated.ClassIds[0].ToString(), StringComparison.Ordinal)
        .Replace("{class-b}", Evaluated.ClassIds[1].ToString(), StringComparison.Ordinal);

    private int _checked;
    private int _mismatches;

    /// <summary>Counts one (request, role) outcome for the hostile-input report.</summary>
    public void Record(bool matched)
    {
        Interlocked.Increment(ref _checked);
        if (!matched)
        {
            Interlocked.Increment(ref _mismatches);
        }
    }

    public Task DisposeAsync()
    {
        // Other test classes share this fixture type for its signed-in clients; only the matrix's instance reports.
        if (_checked > 0)
        {
            HostileReport.Write("roles",
            [
                "roles: 5 (anonymous, signed in without a role, Labeller, Reviewer, Admin)",
                $"requests checked (every page and handler x role): {_checked}",
                $"mismatches: {_mismatches}",
            ]);
        }

        Factory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Every page and handler x {anonymous, Labeller, Reviewer, Admin}: 200 (or the handler's own redirect), a redirect
/// to the login page, or 403. A test below checks that every Razor page in the app appears here.
/// </summary>
public class RoleMatrixTests(RoleMatrixFixture fixture) : IClassFixture<RoleMatrixFixture>
{
    public const string NoRole = "NoRole";
    private const string Ok = "200", Login = "login", Forbidden = "403", Redirect = "302";

    // What a signed-in user without any role may open: the home page (it tells them to ask an admin), signing in and
    // out, the error page and the public documents. Everything else answers 403.
    // Changing one's own password shows no data, so it is open to them too.
    private static readonly string[] OpenWithoutRole = ["/", "/Account/Login", "/Account/Logout", "/Account/Password", "/Error", "/health", "/openapi/v1.json"];
    private const string Anonymous = "Anonymous", Labeller = Roles.Labeller, Reviewer = Roles.Reviewer, Admin = Roles.Admin;

    // page -> expected for anonymous, labeller, reviewer, admin
    private static readonly (string Path, string Anonymous, string Labeller, string Reviewer, string Admin)[] Pages =
    [
        ("/", Login, Ok, Ok, Ok),
        ("/Account/Login", Ok, Ok, Ok, Ok),
        ("/Account/Logout", Login, Ok, Ok, Ok),
        ("/Account/Password", Login, Ok, Ok, Ok),
        ("/Error", Ok, Ok, Ok, Ok),
        ("/Datasets", Login, Ok, Ok, Ok),
        ("/Datasets/Details/{dataset}", Login, Ok, Ok, Ok),
        ("/Datasets/Rejected/{dataset}", Login, Ok, Ok, Ok),
        ("/Datasets/Rejected/{dataset}?handler=Csv", Login, Ok, Ok, Ok),
        // The map colours by import labels, which labellers must not see: reviewers and admins only.
        ("/Datasets/Map/{dataset}", Login, Forbidden, Ok, Ok),
        ("/Datasets/Map/{dataset}?model={model}", Login, Forbidden, Ok, Ok),
        // The fixture's dataset has no map: past authorisation the answer is "no map" (404).
        ("/api/map/{dataset}?model={model}", "401", Forbidden, "404", "404"),
        ("/Datasets/Browse/{eval-dataset}", Login, Forbidden, Ok, Ok),
        ("/Datasets/Browse/{eval-dataset}?sort=Similar&like={eval-image}&size=30&p=2", Login, Forbidden, Ok, Ok),
        ("/Datasets/Browse/{eval-dataset}?sort=Disagreement&state=NoVotes&final=rejected&dup=only&host=x.example", Login, Forbidden, Ok, Ok),
        ("/Images/Details/{image}", Login, Ok, Ok, Ok),
        ("/Label", Login, Ok, Ok, Ok),
        ("/Review", Login, Forbidden, Ok, Ok),
        ("/Label/Work/{eval-dataset}", Login, Ok, Ok, Ok),
        ("/Label/Grid/{eval-dataset}", Login, Ok, Ok, Ok),
        ("/Label/Grid/{eval-dataset}?seed={eval-image}&count=10", Login, Ok, Ok, Ok),
        ("/api/label/{eval-dataset}/next?count=2", "401", Ok, Ok, Ok),
        ("/api/label/{eval-dataset}/expand?seed={eval-image}&count=5", "401", Ok, Ok, Ok),
        ("/Review/Queue/{eval-dataset}", Login, Forbidden, Ok, Ok),
        ("/Review/Queue/{eval-dataset}?queue=knn", Login, Forbidden, Ok, Ok),
        ("/Review/Queue/{eval-dataset}?queue=import", Login, Forbidden, Ok, Ok),
        ("/Review/Queue/{eval-dataset}?queue=conflicts", Login, Forbidden, Ok, Ok),
        ("/Review/Queue/{eval-dataset}?queue=knn&p=2", Login, Forbidden, Ok, Ok),
        ("/Review/Queue/{eval-dataset}?queue=flagged", Login, Forbidden, Ok, Ok),
        ("/Datasets/Browse/{eval-dataset}?sort=Uniqueness", Login, Forbidden, Ok, Ok),
        ("/api/review/{eval-dataset}/neighbours?imageId={eval-image}&k=5", "401", Forbidden, Ok, Ok),
        ("/Review/Agreement/{eval-dataset}", Login, Forbidden, Ok, Ok),
        ("/Review/Export/{eval-dataset}?format=csv", Login, Forbidden, Ok, Ok),
        ("/Review/Export/{eval-dataset}?format=jsonl", Login, Forbidden, Ok, Ok),
        ("/Review/Export/{eval-dataset}?format=folders", Login, Forbidden, Ok, Ok),
        ("/Review/Export/{eval-dataset}?format=zip", Login, Forbidden, Ok, Ok),
        ("/Admin/Datasets/Labelling/{dataset}", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Datasets/Create", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Datasets/Import?datasetId={dataset}", Login, Forbidden, Forbidden, Ok),
        // POST-only: a GET goes back to the dataset's page.
        ("/Admin/Datasets/Embed/{dataset}", Login, Forbidden, Forbidden, Redirect),
        ("/Admin/Jobs", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Jobs/Details/{run}", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Jobs/Details/{run}?handler=ErrorsCsv", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Models", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Users", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Users/Delete/{spare}", Login, Forbidden, Forbidden, Ok),
        // Deletion confirmations: admins only (the role model has no dataset admins).
        ("/Admin/Datasets/Delete/{dataset}", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Models/Delete/{model}", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Crawls/Delete/{crawl}", Login, Forbidden, Forbidden, Ok),
        ("/hangfire", Login, Forbidden, Forbidden, Ok),
        ("/health", Ok, Ok, Ok, Ok),
        ("/api/jobs/status?ids={run}", "401", Forbidden, Forbidden, Ok),
        ("/Search", Login, Ok, Ok, Ok),
        ("/Admin/ApiTokens", Login, Forbidden, Forbidden, Ok),
        ("/openapi/v1.json", Ok, Ok, Ok, Ok),
        ("/Evaluation", Login, Forbidden, Ok, Ok),
        ("/Evaluation/Report/{evaluation}", Login, Forbidden, Ok, Ok),
        ("/Evaluation/Report/{evaluation}?handler=Chart&name=confusion", Login, Forbidden, Ok, Ok),
        ("/Evaluation/Pairs/{evaluation}?queryClass={class-a}&resultClass={class-b}", Login, Forbidden, Ok, Ok),
        ("/Evaluation/Compare?a={baseline}&b={evaluation}", Login, Forbidden, Ok, Ok),
        ("/Evaluation/Export/{evaluation}?format=json", Login, Forbidden, Ok, Ok),
        ("/Evaluation/Export/{evaluation}?format=qrels", Login, Forbidden, Ok, Ok),
        ("/Admin/Evaluations", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Evaluations?datasetId={eval-dataset}", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Evaluations?handler=SplitFile&splitId={split}", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Crawls", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Training", Login, Forbidden, Forbidden, Ok),
        ("/Admin/Crawls/Details/{crawl}", Login, Forbidden, Forbidden, Ok),
    ];

    // POST handlers, sent with a valid antiforgery token. Admin's answer: the page re-rendered with validation
    // errors (200) or the handler's post-redirect-get (302).
    private static readonly (string Path, Dictionary<string, string> Form, string Anonymous, string Others, string Admin)[] Handlers =
    [
        ("/Account/Login", new() { ["Input.Email"] = "nobody@test.local", ["Input.Password"] = "wrong-password" }, Ok, Ok, Ok),
        ("/Account/Logout", [], Login, Redirect, Redirect),
        ("/Admin/Datasets/Create", new() { ["Input.Name"] = "" }, Login, Forbidden, Ok),
        ("/Admin/Datasets/Import?handler=Folder&datasetId={dataset}", new() { ["Folder.Path"] = "" }, Login, Forbidden, Ok),
        ("/Admin/Datasets/Import?handler=Url&datasetId={dataset}", new() { ["Remote.Url"] = "not a url" }, Login, Forbidden, Ok),
        ("/Admin/Datasets/Import?handler=Upload&datasetId={dataset}", [], Login, Forbidden, Ok),
        ("/Admin/Datasets/Embed/{dataset}", new() { ["modelId"] = "{model}" }, Login, Forbidden, Redirect),
        // Reviewers may open the map but not start its job; the admin gets the fixture's queued map run back.
        ("/Datasets/Map/{dataset}?handler=Compute", new() { ["modelId"] = "{model}" }, Login, Forbidden, Redirect),
        ("/Admin/Jobs/Details/{run}?handler=Cancel", [], Login, Forbidden, Redirect),
        ("/Admin/Jobs/Details/{run}?handler=Resume", [], Login, Forbidden, Redirect),
        ("/Admin/Models?handler=Path", new() { ["FromPath.Path"] = "" }, Login, Forbidden, Ok),
        ("/Admin/Models?handler=Upload", [], Login, Forbidden, Ok),
        ("/Admin/Models?handler=Url", new() { ["FromUrl.Url"] = "not a url" }, Login, Forbidden, Ok),
        ("/Admin/Models?handler=BuiltIn", new() { ["name"] = "no-such-model" }, Login, Forbidden, Ok),
        // An unknown path choice: the page again with the reason, nothing changed.
        ("/Admin/Models?handler=ChoosePath", new() { ["modelId"] = "{model}", ["choice"] = "fastest" }, Login, Forbidden, Ok),
        // An empty split file: the page again with its message, no split stored.
        ("/Admin/Evaluations?handler=ImportSplit", new() { ["datasetId"] = "{eval-dataset}" }, Login, Forbidden, Ok),
        ("/Admin/Users?handler=Create", new() { ["Input.Email"] = "" }, Login, Forbidden, Ok),
        ("/Admin/Users?handler=Roles", new() { ["userId"] = "{labeller}", ["roles"] = Roles.Labeller }, Login, Forbidden, Redirect),
        ("/Admin/Users?handler=Unlock", new() { ["userId"] = "{labeller}" }, Login, Forbidden, Redirect),
        // A reset answers with the page showing the one-time password (the spare account has no open session).
        ("/Admin/Users?handler=Reset", new() { ["userId"] = "{spare}" }, Login, Forbidden, Ok),
        // The email mistyped: the confirmation again with its message, nobody deleted.
        ("/Admin/Users/Delete/{spare}", new() { ["Confirm"] = "not-the-email@test.local" }, Login, Forbidden, Ok),
        // A wrong name or no box ticked: the confirmation again with its message, nothing deleted.
        ("/Admin/Datasets/Delete/{dataset}", new() { ["Confirm"] = "not-the-name" }, Login, Forbidden, Ok),
        ("/Admin/Models/Delete/{model}", [], Login, Forbidden, Ok),
        ("/Admin/Crawls/Delete/{crawl}", [], Login, Forbidden, Ok),
        // No fields: the form again with its messages, no password changed.
        ("/Account/Password", [], Login, Ok, Ok),
        // Search without a file: the page again with "choose an image".
        ("/Search", [], Login, Ok, Ok),
        ("/Admin/ApiTokens?handler=Create", new() { ["Input.Name"] = "" }, Login, Forbidden, Ok),
        ("/Admin/ApiTokens?handler=Revoke", new() { ["id"] = "0" }, Login, Forbidden, Redirect),
        // A bad K: the form again with its message, and no run started behind the matrix's back.
        ("/Admin/Evaluations", new() { ["Input.DatasetId"] = "{eval-dataset}", ["Input.KValues"] = "0", ["Input.MainK"] = "10" }, Login, Forbidden, Ok),
        // No name and no split: the form again with its messages, no training started.
        ("/Admin/Training", new() { ["Input.DatasetId"] = "{dataset}", ["Input.Name"] = "" }, Login, Forbidden, Ok),
        // An invalid seed: the form again with the error, no crawl started.
        ("/Admin/Crawls", new() { ["Input.Dataset"] = "matrix", ["Input.Seeds"] = "ftp://nowhere" }, Login, Forbidden, Ok),
        // The fixture's crawl is completed: each handler answers with a redirect and a flash, starting nothing.
        ("/Admin/Crawls/Details/{crawl}?handler=Pause", [], Login, Forbidden, Redirect),
        ("/Admin/Crawls/Details/{crawl}?handler=Resume", [], Login, Forbidden, Redirect),
        ("/Admin/Crawls/Details/{crawl}?handler=Cancel", [], Login, Forbidden, Redirect),
        // An overlap out of range: the form again with its message, nothing saved.
        ("/Admin/Datasets/Labelling/{dataset}", new() { ["Input.Overlap"] = "0", ["Input.LeaseSeconds"] = "60" }, Login, Forbidden, Ok),
        // No class names: the form again with its message, nothing added.
        ("/Admin/Datasets/Labelling/{dataset}?handler=Classes", new() { ["Classes.Names"] = "" }, Login, Forbidden, Ok),
        // No class picked: the form again with its message, nothing renamed or deleted.
        ("/Admin/Datasets/Labelling/{dataset}?handler=Rename", new() { ["Edit.NewName"] = "x" }, Login, Forbidden, Ok),
        ("/Admin/Datasets/Labelling/{dataset}?handler=DeleteClass", [], Login, Forbidden, Ok),
    ];

    // The data browser's bulk actions (Reviewer and Admin): an empty selection answers with a redirect and its
    // message, so nothing is decided, exported or deleted behind the matrix's back.
    private static readonly (string Path, Dictionary<string, string> Form, string Anonymous, string Labeller, string Reviewer, string Admin)[] ReviewerHandlers =
    [
        ("/Datasets/Browse/{eval-dataset}?handler=Relabel", new() { ["ClassId"] = "{class-a}" }, Login, Forbidden, Redirect, Redirect),
        ("/Datasets/Browse/{eval-dataset}?handler=Reject", [], Login, Forbidden, Redirect, Redirect),
        ("/Datasets/Browse/{eval-dataset}?handler=Export", [], Login, Forbidden, Redirect, Redirect),
        ("/Datasets/Browse/{eval-dataset}?handler=Delete", new() { ["Understand"] = "true" }, Login, Forbidden, Redirect, Redirect),
        ("/Datasets/Browse/{eval-dataset}?handler=Flag", new() { ["Note"] = "matrix" }, Login, Forbidden, Redirect, Redirect),
    ];

    public static TheoryData<int, string, string> ReviewerHandlerCases()
    {
        var data = new TheoryData<int, string, string>();
        for (var i = 0; i < ReviewerHandlers.Length; i++)
        {
            var h = ReviewerHandlers[i];
            data.Add(i, Anonymous, h.Anonymous);
            data.Add(i, Labeller, h.Labeller);
            data.Add(i, Reviewer, h.Reviewer);
            data.Add(i, Admin, h.Admin);
            data.Add(i, NoRole, Forbidden);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReviewerHandlerCases))]
    public async Task Reviewer_post_handler_with_antiforgery_token(int index, string role, string expected)
    {
        var handler = ReviewerHandlers[index];
        var tokenPage = role == Anonymous ? "/Account/Login" : "/Account/Logout";
        var form = handler.Form.ToDictionary(kv => kv.Key, kv => fixture.Expand(kv.Value));
        AssertOutcome(expected, await fixture.Clients[role].PostFormAsync(fixture.Expand(handler.Path), form, tokenPage), $"POST {handler.Path} as {role}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Reviewer_post_without_antiforgery_token_is_refused_with_400(int index)
    {
        var handler = ReviewerHandlers[index];
        var form = new FormUrlEncodedContent(handler.Form.ToDictionary(kv => kv.Key, kv => fixture.Expand(kv.Value)));
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Clients[Admin].PostAsync(fixture.Expand(handler.Path), form)).StatusCode);
    }

    // JSON POSTs of the review page, sent with the antiforgery header: an unknown image answers 404 (decide) or a
    // per-image error (bulk) once past authorisation, so nothing is decided behind the matrix's back.
    private static readonly (string Path, string Json, string Anonymous, string Labeller, string Reviewer, string Admin)[] JsonPosts =
    [
        ("/api/review/{eval-dataset}/decide", "{\"imageId\":0,\"reject\":true,\"clientId\":\"matrix-decide\"}", "401", Forbidden, "404", "404"),
        ("/api/review/{eval-dataset}/bulk", "{\"items\":[{\"imageId\":0,\"classId\":{class-a},\"clientId\":\"matrix-bulk\"}]}", "401", Forbidden, Ok, Ok),
    ];

    public static TheoryData<int, string, string> JsonPostCases()
    {
        var data = new TheoryData<int, string, string>();
        for (var i = 0; i < JsonPosts.Length; i++)
        {
            var j = JsonPosts[i];
            data.Add(i, Anonymous, j.Anonymous);
            data.Add(i, Labeller, j.Labeller);
            data.Add(i, Reviewer, j.Reviewer);
            data.Add(i, Admin, j.Admin);
            data.Add(i, NoRole, Forbidden);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(JsonPostCases))]
    public async Task Json_post_with_antiforgery_header(int index, string role, string expected)
    {
        var post = JsonPosts[index];
        var client = fixture.Clients[role];
        var token = await client.GetAntiforgeryTokenAsync(role == Anonymous ? "/Account/Login" : "/Account/Logout");
        var request = new HttpRequestMessage(HttpMethod.Post, fixture.Expand(post.Path))
        {
            Content = new StringContent(fixture.Expand(post.Json), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("RequestVerificationToken", token);
        AssertOutcome(expected, await client.SendAsync(request), $"POST {post.Path} as {role}");
    }

    [Theory]
    [MemberData(nameof(JsonPostIndexes))]
    public async Task Json_post_without_antiforgery_header_is_refused_with_400(int index)
    {
        var post = JsonPosts[index];
        var response = await fixture.Clients[Admin].PostAsync(fixture.Expand(post.Path), new StringContent(fixture.Expand(post.Json), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    public static TheoryData<int> JsonPostIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < JsonPosts.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    public static TheoryData<string, string, string> PageCases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var p in Pages)
        {
            data.Add(p.Path, Anonymous, p.Anonymous);
            data.Add(p.Path, Labeller, p.Labeller);
            data.Add(p.Path, Reviewer, p.Reviewer);
            data.Add(p.Path, Admin, p.Admin);
        }

        return data;
    }

    public static TheoryData<string, string> NoRoleCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var p in Pages)
        {
            data.Add(p.Path, OpenWithoutRole.Contains(p.Path) ? p.Labeller : Forbidden);
        }

        return data;
    }

    public static TheoryData<int, string, string> HandlerCases()
    {
        var data = new TheoryData<int, string, string>();
        for (var i = 0; i < Handlers.Length; i++)
        {
            var h = Handlers[i];
            data.Add(i, Anonymous, h.Anonymous);
            data.Add(i, Labeller, h.Others);
            data.Add(i, Reviewer, h.Others);
            data.Add(i, Admin, h.Admin);
        }

        return data;
    }

    public static TheoryData<int> HandlerIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Handlers.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PageCases))]
    public async Task Get_page(string path, string role, string expected)
    {
        var response = await fixture.Clients[role].GetAsync(fixture.Expand(path));
        AssertOutcome(expected, response, $"GET {path} as {role}");
    }

    [Theory]
    [MemberData(nameof(NoRoleCases))]
    public async Task Get_page_without_a_role(string path, string expected)
    {
        var response = await fixture.Clients[NoRole].GetAsync(fixture.Expand(path));
        AssertOutcome(expected, response, $"GET {path} with no role");
    }

    [Fact]
    public async Task A_user_without_a_role_is_told_to_ask_an_admin_and_shown_no_counts()
    {
        var home = await fixture.Clients[NoRole].GetStringAsync("/");

        Assert.Contains("id=\"no-role\"", home, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/Datasets\"", home, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Clients[NoRole].GetAsync($"/images/{fixture.ImageId}/thumb")).StatusCode);
    }

    [Theory]
    [MemberData(nameof(HandlerCases))]
    public async Task Post_handler_with_antiforgery_token(int index, string role, string expected)
    {
        var handler = Handlers[index];
        if (handler.Path == "/Account/Logout" && role != Anonymous)
        {
            // Signing out would break the shared client for the other rows: use a fresh sign-in.
            var email = role == Admin ? PlatformFactory.AdminEmail : $"{role.ToLowerInvariant()}@test.local";
            var password = role == Admin ? PlatformFactory.AdminPassword : PlatformFactory.UserPassword;
            var own = await fixture.Factory.SignInAsync(email, password);
            AssertOutcome(expected, await own.PostFormAsync(handler.Path, [], tokenPage: "/"), $"POST {handler.Path} as {role}");
            return;
        }

        var client = fixture.Clients[role];
        // A token is issued for the user who asks: take it from a page that role may open.
        var tokenPage = role == Anonymous ? "/Account/Login" : "/Account/Logout";
        var form = handler.Form.ToDictionary(kv => kv.Key, kv => fixture.Expand(kv.Value));
        var response = await client.PostFormAsync(fixture.Expand(handler.Path), form, tokenPage);
        AssertOutcome(expected, response, $"POST {handler.Path} as {role}");
    }

    [Theory]
    [MemberData(nameof(HandlerIndexes))]
    public async Task Post_without_antiforgery_token_is_refused_with_400(int index)
    {
        var handler = Handlers[index];
        // The admin passes authorisation everywhere, so the missing token is what is judged.
        var client = handler.Path.StartsWith("/Account/Login", StringComparison.Ordinal) ? fixture.Clients[Anonymous] : fixture.Clients[Admin];
        var form = new FormUrlEncodedContent(handler.Form.ToDictionary(kv => kv.Key, kv => fixture.Expand(kv.Value)));
        var response = await client.PostAsync(fixture.Expand(handler.Path), form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public void Every_razor_page_is_in_the_matrix()
    {
        var pages = fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Select(e => e.Metadata.GetMetadata<PageActionDescriptor>()?.ViewEnginePath)
            .Where(p => p is not null).Select(p => p!).Distinct().ToList();
        Assert.NotEmpty(pages);
        var covered = Pages.Select(p => p.Path.Split('?')[0]).ToList();
        foreach (var page in pages)
        {
            var route = page == "/Index" ? "/" : page.EndsWith("/Index", StringComparison.Ordinal) ? page[..^"/Index".Length] : page;
            Assert.True(covered.Any(c => c == route || c.StartsWith(route + "/", StringComparison.Ordinal)), $"Page {page} is missing from the role matrix");
        }
    }

    private void AssertOutcome(string expected, HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        var location = response.Headers.Location?.OriginalString;
        fixture.Record(expected == Login ? status == 302 && location?.Contains("/Account/Login", StringComparison.Ordinal) == true : expected == status.ToString());
        switch (expected)
        {
            case Login:
                Assert.True(status == 302 && response.Headers.Location?.OriginalString.Contains("/Account/Login", StringComparison.Ordinal) == true,
                    $"{what}: expected a redirect to the login page, got {status} {response.Headers.Location}");
                break;
            default:
                Assert.True(expected == status.ToString(), $"{what}: expected {expected}, got {status} {response.Headers.Location}");
                break;
        }
    }
}
