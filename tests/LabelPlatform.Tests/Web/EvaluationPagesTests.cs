using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using LabelPlatform.Web.Evaluation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>A platform with a made-up 3-class dataset, an article split, a model run and a random-baseline run.</summary>
public sealed class EvaluationPagesFixture : IAsyncLifetime
{
    public PlatformFactory Factory { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public HttpClient Reviewer { get; private set; } = null!;
    public SeededDataset Data { get; private set; } = null!;
    public EvaluationSplit Split { get; private set; } = null!;
    public EvaluationRun ModelRun { get; private set; } = null!;
    public EvaluationRun BaselineRun { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Admin = await Factory.SignInAdminAsync();
        await Factory.CreateUserAsync("reviewer@test.local", Roles.Reviewer);
        Reviewer = await Factory.SignInAsync("reviewer@test.local", PlatformFactory.UserPassword);
        Data = await EvaluationSeed.CreateAsync(Factory.Services, "eval-pages");
        Split = await Factory.Services.GetRequiredService<EvaluationService>().GetOrCreateSplitAsync(Data.DatasetId, null, SplitProtocols.Article, 3, "test");
        ModelRun = await EvaluationSeed.EvaluateAsync(Factory.Services, Data.DatasetId, Split.Id, Data.ModelId);
        BaselineRun = await EvaluationSeed.EvaluateAsync(Factory.Services, Data.DatasetId, Split.Id, null);
    }

    public async Task<T> QueryAsync<T>(Func<PlatformDbContext, Task<T>> query)
    {
        using var scope = Factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<PlatformDbContext>());
    }

    public Task<EvaluationReport> ReportAsync(long id) =>
        Factory.Services.GetRequiredService<EvaluationService>().LoadReportAsync(id)!.ContinueWith(t => t.Result!, TaskScheduler.Default);

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }
}

public partial class EvaluationPagesTests(EvaluationPagesFixture fixture) : IClassFixture<EvaluationPagesFixture>
{
    private const string StartPage = "/Admin/Evaluations";

    [Fact]
    public async Task Admin_form_with_bad_k_shows_the_message_and_creates_nothing()
    {
        var before = await fixture.QueryAsync(async db => (await db.EvaluationRuns.CountAsync(), await db.EvaluationSplits.CountAsync(), await db.JobRuns.CountAsync()));

        var response = await fixture.Admin.PostFormAsync(StartPage, Form(("Input.KValues", "1,abc,2000"), ("Input.Protocol", SplitProtocols.LeaveOneOut)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("K values must be whole numbers between 1 and 1000", html, StringComparison.Ordinal);
        var after = await fixture.QueryAsync(async db => (await db.EvaluationRuns.CountAsync(), await db.EvaluationSplits.CountAsync(), await db.JobRuns.CountAsync()));
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Admin_form_refusal_from_the_service_is_shown_as_a_form_error()
    {
        // 50 + 50 images per class are more than the dataset has: the split cannot be drawn.
        var response = await fixture.Admin.PostFormAsync(StartPage, Form(("Input.QueriesPerClass", "50"), ("Input.CandidatesPerClass", "50")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Not started: no class has the 100 images the protocol needs", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Admin_form_starts_a_run_whose_job_completes_and_is_listed()
    {
        var response = await fixture.Admin.PostFormAsync(StartPage, Form(("Input.Protocol", SplitProtocols.LeaveOneOut), ("Input.KValues", "1, 5,10"), ("Input.MainK", "5")));

        var jobId = JobWaiting.RunIdFrom(response);
        var job = await fixture.Factory.Services.WaitForRunAsync(jobId);
        Assert.True(job.State == JobState.Succeeded, $"{job.State}: {job.Error}");
        var run = await fixture.QueryAsync(db => db.EvaluationRuns.AsNoTracking().SingleAsync(r => r.JobRunId == jobId));
        Assert.Equal(("1,5,10", 5, fixture.Data.ModelId), (run.KValues, run.MainK, run.ModelId));
        Assert.NotNull(run.ReportGzip);
        var split = await fixture.QueryAsync(db => db.EvaluationSplits.SingleAsync(s => s.Id == run.SplitId));
        Assert.Equal((SplitProtocols.LeaveOneOut, fixture.Data.ImageIds.Count), (split.Protocol, run.Queries));

        var list = await fixture.Reviewer.GetStringAsync($"/Evaluation?datasetId={fixture.Data.DatasetId}");
        Assert.Contains($"href=\"/Evaluation/Report/{run.Id}\"", list, StringComparison.Ordinal);
        Assert.Contains(EvaluationRunQueries.F(run.AveragePrecisionAtK), list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_shows_headline_figures_every_k_and_links_confusion_cells_to_their_pairs()
    {
        var run = fixture.ModelRun;
        var report = await fixture.ReportAsync(run.Id);
        var html = await fixture.Reviewer.GetStringAsync($"/Evaluation/Report/{run.Id}");

        foreach (var interval in report.Intervals)
        {
            Assert.Contains($"data-metric=\"{interval.Metric}\"", html, StringComparison.Ordinal);
            Assert.Contains($"[{EvaluationRunQueries.F(interval.Low)}, {EvaluationRunQueries.F(interval.High)}]", html, StringComparison.Ordinal);
        }

        foreach (var k in report.Ks)
        {
            Assert.Contains($"data-k=\"{k}\"", html, StringComparison.Ordinal);
        }

        Assert.Contains("trec_eval map_cut / ranx map@k", html, StringComparison.Ordinal);
        Assert.Contains($"data-field=\"map\">{EvaluationRunQueries.F(report.Overall.MeanAveragePrecision)}<", html, StringComparison.Ordinal);

        // Every non-zero off-diagonal confusion cell links to its pairs, and that page lists exactly those pairs.
        var links = PairsLink().Matches(html).Select(m => (Q: int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), R: int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).Distinct().ToList();
        var m = report.Confusion;
        var offDiagonal = Enumerable.Range(0, m.ClassIds.Count).SelectMany(i => Enumerable.Range(0, m.ClassIds.Count).Where(j => i != j && m.Counts[i][j] > 0).Select(j => (m.ClassIds[i], m.ClassIds[j]))).ToList();
        Assert.NotEmpty(offDiagonal);
        Assert.All(offDiagonal, cell => Assert.Contains(cell, links));

        var (q, r) = offDiagonal[0];
        var pairs = await fixture.Reviewer.GetStringAsync($"/Evaluation/Pairs/{run.Id}?queryClass={q}&resultClass={r}");
        Assert.Equal(report.Pairs(q, r).Count(), PairRow().Count(pairs));
        Assert.Contains($"href=\"/Images/Details/{report.Pairs(q, r).First().Hit.ImageId}\"", pairs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Charts_are_cacheable_pngs()
    {
        foreach (var chart in ReportCharts.All)
        {
            var response = await fixture.Reviewer.GetAsync($"/Evaluation/Report/{fixture.ModelRun.Id}?handler=Chart&name={chart}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("max-age", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.True(bytes.Length > 1000, $"{chart}: {bytes.Length} bytes");
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Reviewer.GetAsync($"/Evaluation/Report/{fixture.ModelRun.Id}?handler=Chart&name=nope")).StatusCode);
    }

    [Fact]
    public async Task Exports_have_their_content_types_file_names_and_plausible_content()
    {
        var run = fixture.ModelRun;
        var report = await fixture.ReportAsync(run.Id);

        var json = await ExportAsync(run.Id, "json", "application/json", $"evaluation-{run.Id}-report.json");
        using (var doc = JsonDocument.Parse(json))
        {
            Assert.Equal(report.Queries, doc.RootElement.GetProperty("queries").GetInt32());
        }

        var queries = Lines(await ExportAsync(run.Id, "queries.csv", "text/csv", $"evaluation-{run.Id}-queries.csv"));
        Assert.StartsWith("query_image_id,class,relevant", queries[0], StringComparison.Ordinal);
        Assert.Equal(report.QueryResults.Count + 1, queries.Length);

        var classes = Lines(await ExportAsync(run.Id, "classes.csv", "text/csv", $"evaluation-{run.Id}-classes.csv"));
        Assert.Equal(report.PerClass.Count + 1, classes.Length);

        // qrels: one line per relevant (query, candidate) pair, counted here from the split's stored membership.
        var members = await fixture.QueryAsync(db => db.SplitImages.AsNoTracking().Where(s => s.SplitId == fixture.Split.Id).ToListAsync());
        var candidatesByClass = members.Where(s => s.Role == SplitRole.Candidate).GroupBy(s => s.ClassId).ToDictionary(g => g.Key, g => g.Count());
        var expectedPairs = members.Where(s => s.Role == SplitRole.Query).Sum(s => candidatesByClass.GetValueOrDefault(s.ClassId));
        var qrels = Lines(await ExportAsync(run.Id, "qrels", "text/plain", $"evaluation-{run.Id}.qrels"));
        Assert.Equal(expectedPairs, qrels.Length);
        Assert.All(qrels, line => Assert.Matches(@"^\d+ 0 \d+ 1$", line));

        var trecRun = Lines(await ExportAsync(run.Id, "run", "text/plain", $"evaluation-{run.Id}.run"));
        Assert.Equal(report.QueryResults.Sum(q => q.Top.Count), trecRun.Length);
        Assert.Matches(@"^\d+ Q0 \d+ 1 \d+ \S+$", trecRun[0]);

        var manifest = await ExportAsync(run.Id, "manifest", "application/json", $"evaluation-{run.Id}-manifest.json");
        using (var doc = JsonDocument.Parse(manifest))
        {
            Assert.Equal(fixture.Split.Name, doc.RootElement.GetProperty("split").GetProperty("name").GetString());
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Reviewer.GetAsync($"/Evaluation/Export/{run.Id}?format=xlsx")).StatusCode);
    }

    [Fact]
    public async Task Compare_shows_the_p_value_of_the_paired_test_and_the_class_deltas()
    {
        var (a, b) = (fixture.BaselineRun, fixture.ModelRun);
        var expected = RunComparison.Compare(await fixture.ReportAsync(a.Id), await fixture.ReportAsync(b.Id), b.MainK);

        var html = await fixture.Reviewer.GetStringAsync($"/Evaluation/Compare?a={a.Id}&b={b.Id}");

        Assert.Contains($"data-field=\"p-value\">{expected.PValue.ToString("0.0000", CultureInfo.InvariantCulture)}<", html, StringComparison.Ordinal);
        Assert.Contains($"data-field=\"improved\">{expected.Improved}<", html, StringComparison.Ordinal);
        Assert.Equal(expected.PerClass.Count, ClassRow().Count(html));
    }

    [Fact]
    public async Task Compare_says_when_the_runs_were_computed_on_other_paths_or_CPUs()
    {
        // Two runs of one model on one split: the same provenance, so no note.
        var again = await EvaluationSeed.EvaluateAsync(fixture.Factory.Services, fixture.Data.DatasetId, fixture.Split.Id, fixture.Data.ModelId);
        var same = await fixture.Reviewer.GetStringAsync($"/Evaluation/Compare?a={fixture.ModelRun.Id}&b={again.Id}");
        Assert.DoesNotContain("id=\"provenance\"", same, StringComparison.Ordinal);

        // The second run's vectors as another install would record them: float path, on a CPU without VNNI.
        var manifest = JsonNode(await fixture.QueryAsync(db => db.EvaluationRuns.Where(r => r.Id == again.Id).Select(r => r.ManifestJson).SingleAsync()));
        manifest["model"]!["execution_path"] = "float";
        manifest["machine"]!["int8_dot_products_exact"] = false;
        manifest["machine"]!["embeddings_computed_on"] = new System.Text.Json.Nodes.JsonArray("other-host: AMD EPYC (X64: avx2)");
        await fixture.QueryAsync(db => db.EvaluationRuns.Where(r => r.Id == again.Id).ExecuteUpdateAsync(u => u.SetProperty(r => r.ManifestJson, manifest.ToJsonString())));

        var html = WebUtility.HtmlDecode(await fixture.Reviewer.GetStringAsync($"/Evaluation/Compare?a={fixture.ModelRun.Id}&b={again.Id}"));
        Assert.Contains("id=\"provenance\"", html, StringComparison.Ordinal);
        Assert.Contains("8-bit dot products were exact: run A True, run B False", html, StringComparison.Ordinal);
        Assert.Contains("run B AMD EPYC (X64: avx2)", html, StringComparison.Ordinal);
    }

    private static System.Text.Json.Nodes.JsonNode JsonNode(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!;

    [Fact]
    public async Task Compare_refuses_a_k_that_is_missing_and_runs_without_shared_queries()
    {
        var missingK = await fixture.Reviewer.GetAsync($"/Evaluation/Compare?a={fixture.BaselineRun.Id}&b={fixture.ModelRun.Id}&k=3");
        Assert.Equal(HttpStatusCode.BadRequest, missingK.StatusCode);
        Assert.Contains("K = 3 is not measured by both runs", await missingK.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var other = await EvaluationSeed.CreateAsync(fixture.Factory.Services, "eval-other", classes: 2, seed: 11);
        var split = await fixture.Factory.Services.GetRequiredService<EvaluationService>().GetOrCreateSplitAsync(other.DatasetId, null, SplitProtocols.Article, 3, "test");
        var otherRun = await EvaluationSeed.EvaluateAsync(fixture.Factory.Services, other.DatasetId, split.Id, other.ModelId);
        var disjoint = await fixture.Reviewer.GetAsync($"/Evaluation/Compare?a={fixture.ModelRun.Id}&b={otherRun.Id}");
        Assert.Equal(HttpStatusCode.BadRequest, disjoint.StatusCode);
        Assert.Contains("share no query", await disjoint.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<string> ExportAsync(long id, string format, string mediaType, string fileName)
    {
        var response = await fixture.Reviewer.GetAsync($"/Evaluation/Export/{id}?format={format}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal(fileName, response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        return await response.Content.ReadAsStringAsync();
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private Dictionary<string, string> Form(params (string Key, string Value)[] fields)
    {
        var form = new Dictionary<string, string>
        {
            ["Input.DatasetId"] = fixture.Data.DatasetId.ToString(CultureInfo.InvariantCulture),
            ["Input.SplitId"] = "",
            ["Input.Protocol"] = SplitProtocols.Article,
            ["Input.Seed"] = "5",
            ["Input.QueriesPerClass"] = "5",
            ["Input.CandidatesPerClass"] = "15",
            ["Input.ModelId"] = fixture.Data.ModelId.ToString(CultureInfo.InvariantCulture),
            ["Input.KValues"] = "1,5,10,20",
            ["Input.MainK"] = "10",
        };
        foreach (var (key, value) in fields)
        {
            form[key] = value;
        }

        return form;
    }

    [GeneratedRegex(@"href=""/Evaluation/Pairs/\d+\?queryClass=(\d+)&(?:amp;)?resultClass=(\d+)""")]
    private static partial Regex PairsLink();

    [GeneratedRegex(@"<tr data-query=""\d+"" data-result=""\d+"">")]
    private static partial Regex PairRow();

    [GeneratedRegex(@"<tr data-class=")]
    private static partial Regex ClassRow();

    [Fact]
    public async Task Report_breaks_figures_down_by_source_once_crawled_images_are_among_the_queries()
    {
        var report = await fixture.ReportAsync(fixture.ModelRun.Id);
        var page = $"/Evaluation/Report/{fixture.ModelRun.Id}";
        // Everything imported: no table (one row saying "imported" would add nothing).
        Assert.DoesNotContain("id=\"by-source\"", await fixture.Reviewer.GetStringAsync(page), StringComparison.Ordinal);

        var crawled = report.QueryResults.Where(q => q.Relevant > 0).Take(2).ToList();
        await fixture.QueryAsync(async db =>
        {
            var crawl = new LabelPlatform.Core.Crawling.Crawl { DatasetId = fixture.Data.DatasetId, CreatedAt = DateTimeOffset.UtcNow };
            db.Add(crawl);
            await db.SaveChangesAsync();
            db.ImageProvenance.AddRange(crawled.Select(q => new LabelPlatform.Core.Crawling.ImageProvenance
            {
                ImageId = q.ImageId, CrawlId = crawl.Id, PageUrl = "http://photos.test/", ImageUrl = $"http://photos.test/{q.ImageId}.jpg",
                SourceHost = "photos.test", RobotsDecision = "allowed", FetchedAt = DateTimeOffset.UtcNow,
            }));
            return await db.SaveChangesAsync();
        });
        var html = await fixture.Reviewer.GetStringAsync(page);

        Assert.Contains("id=\"by-source\"", html, StringComparison.Ordinal);
        var expected = crawled.Average(q => q.At(report.MainK).Precision);
        var row = Regex.Match(html, "<tr data-source=\"photos.test\"><td>photos.test</td><td class=\"num\">(\\d+)</td>\\s*<td class=\"num\" data-value=\"([^\"]+)\"");
        Assert.True(row.Success, "no photos.test row");
        Assert.Equal(2, int.Parse(row.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(expected, double.Parse(row.Groups[2].Value, CultureInfo.InvariantCulture), 6);
        Assert.Contains($"<tr data-source=\"{Evaluator.ImportedSource}\">", html, StringComparison.Ordinal);
    }
}

/// <summary>The admin training form, over the same made-up dataset as the evaluation pages.</summary>
public class TrainingPageTests(EvaluationPagesFixture fixture) : IClassFixture<EvaluationPagesFixture>
{
    [Fact]
    public async Task Bad_training_input_shows_messages_and_starts_nothing()
    {
        var page = await fixture.Admin.GetStringAsync($"/Admin/Training?datasetId={fixture.Data.DatasetId}");
        var response = await fixture.Admin.PostFormAsync("/Admin/Training", new()
        {
            ["Input.DatasetId"] = fixture.Data.DatasetId.ToString(CultureInfo.InvariantCulture),
            ["Input.SplitId"] = fixture.Split.Id.ToString(CultureInfo.InvariantCulture),
            ["Input.BaseModelId"] = fixture.Data.ModelId.ToString(CultureInfo.InvariantCulture),
            ["Input.Name"] = "bad name!",
            ["Input.Dimension"] = "1",
            ["Input.Hidden"] = "0",
            ["Input.Epochs"] = "5",
            ["Input.Loss"] = "ProxySoftmax",
            ["Input.Seed"] = "1",
            ["Input.Head"] = "Residual",
            ["Input.BaseShare"] = "1.5",
        }, "/Admin/Training");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Contains("id=\"start-training\"", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The name uses 1-100 letters", body, StringComparison.Ordinal);
        Assert.Contains("The dimension must be between 2 and 4096.", body, StringComparison.Ordinal);
        Assert.Contains("The base share must be between 0 and 0.99.", body, StringComparison.Ordinal);
        Assert.Equal(0, await fixture.QueryAsync(db => db.JobRuns.CountAsync(j => j.Kind == JobKinds.Train)));
    }
}
