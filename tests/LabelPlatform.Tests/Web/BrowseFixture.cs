using System.Net;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Testing;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>One platform for the data browser tests; each test seeds its own dataset (EvaluationSeed) so they do not meet.</summary>
public sealed partial class BrowseFixture : IAsyncLifetime
{
    public PlatformFactory Factory { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public string AdminId { get; private set; } = "";
    private int _datasets;

    public async Task InitializeAsync()
    {
        Admin = await Factory.SignInAdminAsync();
        AdminId = await Factory.UserIdAsync(PlatformFactory.AdminEmail);
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    public Task<SeededDataset> SeedAsync(int classes = 3, int perClass = 20) =>
        EvaluationSeed.CreateAsync(Factory.Services, $"browse-{Interlocked.Increment(ref _datasets)}", classes, perClass);

    public async Task WithDbAsync(Func<PlatformDbContext, Task> action)
    {
        using var scope = Factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        await action(db);
        await db.SaveChangesAsync();
    }

    public async Task<T> ReadDbAsync<T>(Func<PlatformDbContext, Task<T>> read)
    {
        using var scope = Factory.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<PlatformDbContext>());
    }

    public LabelSubmissions Submissions => Factory.Services.GetRequiredService<LabelSubmissions>();

    public ReviewDecisions Decisions => Factory.Services.GetRequiredService<ReviewDecisions>();

    public Task VoteAsync(int datasetId, string user, long imageId, int classId) =>
        Submissions.SubmitAsync(new SubmitRequest(datasetId, user, $"{user}-{imageId}-{classId}", "single", [new LabelItem(imageId, LabelEventKind.Label, classId)]));

    public Task DecideAsync(int datasetId, long imageId, int? classId, bool reject = false) =>
        Decisions.SetFinalAsync(new ReviewRequest(datasetId, imageId, AdminId, $"seed-{imageId}", classId, reject, null));

    /// <summary>The tile ids of a browser page, in page order.</summary>
    public async Task<(List<long> Ids, string Html)> BrowseAsync(int datasetId, string query = "")
    {
        var response = await Admin.GetAsync($"/Datasets/Browse/{datasetId}{query}");
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"browse answered {(int)response.StatusCode}: {html}");
        return ([.. TileId().Matches(html).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))], html);
    }

    /// <summary>Posts a bulk action with the ids the way the page's form does (the batch token taken from the page).</summary>
    public async Task<HttpResponseMessage> PostAsync(int datasetId, string handler, IEnumerable<long> ids, Dictionary<string, string>? fields = null, string query = "", string? batch = null)
    {
        var (_, html) = await BrowseAsync(datasetId, query);
        var token = WebUtility.HtmlDecode(Token().Match(html).Groups[1].Value);
        batch ??= Batch().Match(html).Groups[1].Value;
        var form = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", token), new("Batch", batch) };
        form.AddRange(ids.Select(id => new KeyValuePair<string, string>("Ids", id.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        form.AddRange(fields ?? []);
        var separator = query.Length == 0 ? "?" : "&";
        return await Admin.PostAsync($"/Datasets/Browse/{datasetId}{query}{separator}handler={handler}", new FormUrlEncodedContent(form));
    }

    public static string BatchOf(string html) => Batch().Match(html).Groups[1].Value;

    [GeneratedRegex("<li class=\"browse-tile\" data-id=\"(\\d+)\"")]
    private static partial Regex TileId();

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();

    [GeneratedRegex("name=\"Batch\" value=\"([0-9a-f]+)\"")]
    private static partial Regex Batch();
}
