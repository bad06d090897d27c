using System.Net;
using System.Security.Cryptography;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>The Models page registers models in the request; a dataset's page computes embeddings as a job.</summary>
public class ModelsPageTests : IDisposable
{
    private const string Models = "/Admin/Models";

    private readonly PlatformFactory _factory = new();

    [Fact]
    public async Task MobileNetV2_registered_by_server_path_is_listed_with_1280_dimensions()
    {
        var admin = await _factory.SignInAdminAsync();

        var response = await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "mnv2"), ("Settings.Tensor", "627"), ("FromPath.Path", SharedPaths.MobileNetV2)), Models);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(Models, response.Headers.Location?.OriginalString);
        var page = await GetAsync(admin, Models);
        Assert.Contains("Registered mnv2 v1: 1,280-d vectors from 'embedding' (pooled from '627'), quantized: int8 and a float variant.", page, StringComparison.Ordinal);
        var row = Row(page, "mnv2");
        Assert.Contains("data-field=\"dimension\">1,280<", row, StringComparison.Ordinal);
        Assert.Contains("data-field=\"pooled-from\">627<", row, StringComparison.Ordinal);
        Assert.Contains("224×224 stretched", row, StringComparison.Ordinal);
        Assert.Contains("RGB, NCHW, ×1/255", row, StringComparison.Ordinal);
        Assert.Contains($"data-field=\"origin\">{SharedPaths.MobileNetV2}<", row, StringComparison.Ordinal);
        var model = await QueryAsync(db => db.EmbeddingModels.SingleAsync(m => m.VariantOfId == null));
        Assert.Equal((1280, "627", PlatformFactory.AdminEmail), (model.Dimension, model.DerivedFromTensor, model.CreatedBy));
        Assert.Contains($">{model.Sha256[..12]}…<", row, StringComparison.Ordinal);
        // Quantized: both paths listed, int8 in use (the test host says int8 is exact here), a choice offered.
        Assert.Contains("data-field=\"int8\">int8 · in use<", row, StringComparison.Ordinal);
        Assert.Contains("data-field=\"float\"", row, StringComparison.Ordinal);
        Assert.Contains("name=\"choice\"", row, StringComparison.Ordinal);
        Assert.Contains("set by configuration", page, StringComparison.Ordinal);

        var chosen = await admin.PostFormAsync($"{Models}?handler=ChoosePath", Form(("modelId", model.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("choice", "float")), Models);
        Assert.Equal(HttpStatusCode.Redirect, chosen.StatusCode);
        var afterChoice = await GetAsync(admin, Models);
        Assert.Contains("Search and embedding now use mnv2 v1 float here (choice: float).", afterChoice, StringComparison.Ordinal);
        Assert.Contains("float · in use<", Row(afterChoice, "mnv2"), StringComparison.Ordinal);
        var refused = await admin.PostFormAsync($"{Models}?handler=ChoosePath", Form(("modelId", model.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("choice", "fastest")), Models);
        Assert.Contains("Path not changed: 'fastest' is not a path choice", await BodyAsync(refused), StringComparison.Ordinal);

        // The same file and settings again: no new version, and the flash says so.
        await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "mnv2"), ("Settings.Tensor", "627"), ("FromPath.Path", SharedPaths.MobileNetV2)), Models);
        Assert.Contains("mnv2 v1 already has this file and these settings", await GetAsync(admin, Models), StringComparison.Ordinal);
        // One version: its int8 row and its float variant.
        Assert.Equal((1, 1), await QueryAsync(async db => (await db.EmbeddingModels.CountAsync(m => m.VariantOfId == null), await db.EmbeddingModels.CountAsync(m => m.VariantOfId != null))));
    }

    [Fact]
    public async Task Bad_inputs_show_their_reason_and_store_nothing()
    {
        var admin = await _factory.SignInAdminAsync();
        var mobileNet = ("FromPath.Path", SharedPaths.MobileNetV2);

        var notOnnx = await admin.PostMultipartAsync($"{Models}?handler=Upload", Models, form =>
        {
            form.Add(new StringContent("fake"), "Settings.Name");
            form.Add(new StringContent("627"), "Settings.Tensor");
            form.Add(new ByteArrayContent(TestImages.Text("this is not a protobuf")), "FromUpload.File", "fake.onnx");
        });
        var unknownTensor = await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "m"), ("Settings.Tensor", "no_such_tensor"), mobileNet), Models);
        var wrongDimension = await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "m"), ("Settings.Tensor", "627"), ("Settings.ExpectedDimension", "512"), mobileNet), Models);
        var badMean = await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "m"), ("Settings.Tensor", "627"), ("Settings.Mean", "0.5, abc"), mobileNet), Models);
        var badScale = await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "m"), ("Settings.Tensor", "627"), ("Settings.Scale", "1/0"), mobileNet), Models);
        var badSize = await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "m"), ("Settings.Tensor", "627"), ("Settings.InputSize", "big"), mobileNet), Models);
        var noFile = await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "m"), ("Settings.Tensor", "627"), ("FromPath.Path", "/no/such/model.onnx")), Models);
        var badUrl = await admin.PostFormAsync($"{Models}?handler=Url", Form(("Settings.Name", "m"), ("Settings.Tensor", "627"), ("FromUrl.Url", "ftp://example.org/m.onnx")), Models);
        var noBuiltIn = await admin.PostFormAsync($"{Models}?handler=BuiltIn", Form(("name", "vgg16")), Models);

        Assert.Contains("not a usable ONNX model", await BodyAsync(notOnnx), StringComparison.Ordinal);
        Assert.Contains("tensor 'no_such_tensor' is not in the model", await BodyAsync(unknownTensor), StringComparison.Ordinal);
        Assert.Contains("the model gives 1280-d vectors from 'embedding'; 512 were expected", await BodyAsync(wrongDimension), StringComparison.Ordinal);
        Assert.Contains("Mean '0.5, abc' is not three numbers", await BodyAsync(badMean), StringComparison.Ordinal);
        Assert.Contains("Scale '1/0' is not a positive number or fraction", await BodyAsync(badScale), StringComparison.Ordinal);
        Assert.Contains("The value 'big' is not valid", await BodyAsync(badSize), StringComparison.Ordinal);
        Assert.Contains("model file '/no/such/model.onnx' does not exist", await BodyAsync(noFile), StringComparison.Ordinal);
        Assert.Contains("absolute http:// or https:// URL", await BodyAsync(badUrl), StringComparison.Ordinal);
        Assert.Contains("There is no built-in model named 'vgg16' here", await BodyAsync(noBuiltIn), StringComparison.Ordinal);
        Assert.All([notOnnx, unknownTensor, wrongDimension, badMean, badScale, badSize, noFile, badUrl, noBuiltIn], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        // The form keeps what was typed, so a refused registration can be corrected in place.
        Assert.Contains("value=\"no_such_tensor\"", await unknownTensor.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await QueryAsync(db => db.EmbeddingModels.CountAsync()));
        var stored = Path.Combine(_factory.DataDirectory, "models");
        Assert.True(!Directory.Exists(stored) || Directory.GetFiles(stored).Length == 0, "a refused model left a file behind");
    }

    [Fact]
    public async Task Uploads_over_the_model_cap_are_refused_with_the_cap_named()
    {
        using var factory = new PlatformFactory().With("Embeddings:MaxModelBytes", "3000000");
        var admin = await factory.SignInAdminAsync();
        void Fill(MultipartFormDataContent form, byte[] file)
        {
            form.Add(new StringContent("mnv2"), "Settings.Name");
            form.Add(new StringContent("627"), "Settings.Tensor");
            form.Add(new ByteArrayContent(file), "FromUpload.File", "model.onnx");
        }

        // Over the cap but within the form's framing allowance: the handler refuses it on the page.
        var slightly = await admin.PostMultipartAsync($"{Models}?handler=Upload", Models, form => Fill(form, File.ReadAllBytes(SharedPaths.MobileNetV2)));
        // Far over: refused before the body is read.
        var far = await admin.PostMultipartAsync($"{Models}?handler=Upload", Models, form => Fill(form, RandomNumberGenerator.GetBytes(6_000_000)));

        Assert.Equal(HttpStatusCode.OK, slightly.StatusCode);
        Assert.Contains("models are capped at 2.9 MB (Embeddings:MaxModelBytes)", await BodyAsync(slightly), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, far.StatusCode);
        Assert.Contains("(Embeddings:MaxModelBytes). Nothing was stored.", await far.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var scope = factory.Services.CreateScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().EmbeddingModels.CountAsync());
    }

    [Fact]
    public async Task Server_paths_outside_the_allowed_folders_are_refused()
    {
        using var allowed = new ImportFolder();
        using var factory = new PlatformFactory().With("Import:AllowedFolders:0", allowed.Root);
        var admin = await factory.SignInAdminAsync();

        var response = await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "mnv2"), ("Settings.Tensor", "627"), ("FromPath.Path", SharedPaths.MobileNetV2)), Models);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("is outside the folders the server may read from (Import:AllowedFolders)", await BodyAsync(response), StringComparison.Ordinal);
        using var scope = factory.Services.CreateScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<PlatformDbContext>().EmbeddingModels.CountAsync());
    }

    [Fact]
    public async Task Built_in_ResNet18_is_registered_with_its_button()
    {
        var admin = await _factory.SignInAdminAsync();
        var before = await GetAsync(admin, Models);
        Assert.Contains("data-builtin=\"resnet18\"", before, StringComparison.Ordinal);
        Assert.Contains("No model is registered yet", before, StringComparison.Ordinal);

        var response = await admin.PostFormAsync($"{Models}?handler=BuiltIn", Form(("name", ModelRegistry.ResNet18)), Models);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var page = await GetAsync(admin, Models);
        Assert.Contains("Registered resnet18 v1: 512-d vectors", page, StringComparison.Ordinal);
        var row = Row(page, ModelRegistry.ResNet18);
        Assert.Contains("data-field=\"dimension\">512<", row, StringComparison.Ordinal);
        Assert.Contains("data-field=\"fixed-batch\">1<", row, StringComparison.Ordinal);
        Assert.Contains("BGR, NCHW, ×1", row, StringComparison.Ordinal);
        Assert.Contains("built-in: NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18", row, StringComparison.Ordinal);
        // Registered built-ins leave the offer list; the other one stays.
        Assert.DoesNotContain("data-builtin=\"resnet18\"", page, StringComparison.Ordinal);
        Assert.Contains("data-builtin=\"mobilenetv2\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compute_embeddings_on_a_dataset_runs_a_job_and_the_page_shows_every_image_embedded()
    {
        var admin = await _factory.SignInAdminAsync();
        await _factory.CreateUserAsync("reviewer@test.local", Roles.Reviewer);
        var reviewer = await _factory.SignInAsync("reviewer@test.local", PlatformFactory.UserPassword);
        var datasetId = await ImportAsync(admin, "embed-me", new ImportFolder().AddCaltech("accordion", 3).AddCaltech("ant", 2));
        var details = $"/Datasets/Details/{datasetId}";
        Assert.Contains("No embedding model is registered yet", await GetAsync(admin, details), StringComparison.Ordinal);
        await admin.PostFormAsync($"{Models}?handler=BuiltIn", Form(("name", ModelRegistry.MobileNetV2)), Models);
        var model = await QueryAsync(db => db.EmbeddingModels.SingleAsync(m => m.VariantOfId == null));

        var before = EmbeddingRow(await GetAsync(admin, details), "mobilenetv2", 1);
        Assert.Contains("data-field=\"embedded\">0 / 5<", before, StringComparison.Ordinal);
        Assert.Contains("Compute embeddings", before, StringComparison.Ordinal);
        var response = await admin.PostFormAsync($"/Admin/Datasets/Embed/{datasetId}", Form(("modelId", model.Id.ToString())), details);
        var run = await _factory.Services.WaitForRunAsync(JobWaiting.RunIdFrom(response));

        Assert.Equal(JobState.Succeeded, run.State);
        Assert.Equal((JobKinds.Embed, 5, 0), (run.Kind, run.Succeeded, run.Failed));
        var after = EmbeddingRow(await GetAsync(admin, details), "mobilenetv2", 1);
        Assert.Contains("data-field=\"embedded\">5 / 5<", after, StringComparison.Ordinal);
        Assert.Contains("Complete", after, StringComparison.Ordinal);
        Assert.DoesNotContain("Compute embeddings", after, StringComparison.Ordinal);
        // Everyone signed in sees the counts; only admins get the button.
        var seenByReviewer = await GetAsync(reviewer, details);
        Assert.Contains("data-field=\"embedded\">5 / 5<", EmbeddingRow(seenByReviewer, "mobilenetv2", 1), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.PostFormAsync($"/Admin/Datasets/Embed/{datasetId}", Form(("modelId", model.Id.ToString())), details)).StatusCode);

        // A new version starts at 0 and offers the button; the old one keeps its vectors, marked as older.
        await admin.PostFormAsync($"{Models}?handler=Path", Form(("Settings.Name", "mobilenetv2"), ("Settings.Tensor", "627"), ("Settings.Resize", "ShorterSideCenterCrop"), ("FromPath.Path", SharedPaths.MobileNetV2)), Models);
        var page = await GetAsync(admin, details);
        var v2 = EmbeddingRow(page, "mobilenetv2", 2);
        Assert.Contains("data-field=\"embedded\">0 / 5<", v2, StringComparison.Ordinal);
        Assert.Contains("Compute embeddings", v2, StringComparison.Ordinal);
        var v1 = EmbeddingRow(page, "mobilenetv2", 1);
        Assert.Contains("data-field=\"embedded\">5 / 5<", v1, StringComparison.Ordinal);
        Assert.Contains("older version", v1, StringComparison.Ordinal);

        // A run already queued for a version is linked instead of the button, and pressing it anyway returns that run.
        var version2 = await QueryAsync(db => db.EmbeddingModels.SingleAsync(m => m.Version == 2 && m.VariantOfId == null));
        var queued = await _factory.Services.GetRequiredService<JobRunService>().CreateAsync(JobKinds.Embed, datasetId, new EmbedParameters(version2.Id), "test");
        var busy = EmbeddingRow(await GetAsync(admin, details), "mobilenetv2", 2);
        Assert.Contains($"<a href=\"/Admin/Jobs/Details/{queued.Id}\">Computing: job run {queued.Id}</a>", busy, StringComparison.Ordinal);
        Assert.DoesNotContain("Compute embeddings", busy, StringComparison.Ordinal);
        var again = await admin.PostFormAsync($"/Admin/Datasets/Embed/{datasetId}", Form(("modelId", version2.Id.ToString())), details);
        Assert.Equal(queued.Id, JobWaiting.RunIdFrom(again));
    }

    [Fact]
    public async Task Compute_embeddings_for_an_unknown_model_or_dataset_is_404_and_starts_nothing()
    {
        var admin = await _factory.SignInAdminAsync();
        var datasetId = await ImportAsync(admin, "no-model", new ImportFolder().AddCaltech("accordion", 1));
        var importRuns = await QueryAsync(db => db.JobRuns.CountAsync());

        var unknownModel = await admin.PostFormAsync($"/Admin/Datasets/Embed/{datasetId}", Form(("modelId", "999")), $"/Datasets/Details/{datasetId}");
        var unknownDataset = await admin.PostFormAsync("/Admin/Datasets/Embed/999", Form(("modelId", "1")), $"/Datasets/Details/{datasetId}");

        Assert.Equal(HttpStatusCode.NotFound, unknownModel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownDataset.StatusCode);
        Assert.Equal(importRuns, await QueryAsync(db => db.JobRuns.CountAsync()));
    }

    private async Task<int> ImportAsync(HttpClient admin, string name, ImportFolder folder)
    {
        using (folder)
        {
            Assert.Equal(HttpStatusCode.Redirect, (await admin.PostFormAsync("/Admin/Datasets/Create", Form(("Input.Name", name)))).StatusCode);
            var datasetId = await QueryAsync(db => db.Datasets.Where(d => d.Name == name).Select(d => d.Id).SingleAsync());
            var response = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Folder&datasetId={datasetId}", Form(("Folder.Path", folder.Root)), $"/Admin/Datasets/Import?datasetId={datasetId}");
            Assert.Equal(JobState.Succeeded, (await _factory.Services.WaitForRunAsync(JobWaiting.RunIdFrom(response))).State);
            return datasetId;
        }
    }

    private static Dictionary<string, string> Form(params (string Key, string Value)[] fields) => fields.ToDictionary(f => f.Key, f => f.Value);

    /// <summary>The page as text, HTML entities decoded (messages quote names with apostrophes).</summary>
    private static async Task<string> GetAsync(HttpClient client, string url) => WebUtility.HtmlDecode(await client.GetStringAsync(url));

    private static async Task<string> BodyAsync(HttpResponseMessage response) => WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

    /// <summary>The Models table's row of one model.</summary>
    private static string Row(string page, string name) => RowMatch(page, $"<tr data-model=\"{name}\">");

    /// <summary>The dataset page's Embeddings row of one model version.</summary>
    private static string EmbeddingRow(string page, string name, int version) => RowMatch(page, $"<tr data-model=\"{name}\" data-version=\"{version}\"");

    private static string RowMatch(string page, string start)
    {
        var at = page.IndexOf(start, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no row starting {start}");
        return page[at..(page.IndexOf("</tr>", at, StringComparison.Ordinal) + 5)];
    }

    private async Task<T> QueryAsync<T>(Func<PlatformDbContext, Task<T>> query)
    {
        using var scope = _factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<PlatformDbContext>());
    }

    public void Dispose() => _factory.Dispose();
}
