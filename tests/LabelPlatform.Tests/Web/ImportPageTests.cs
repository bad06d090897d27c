using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Web;

/// <summary>Imports started from the admin page run as Hangfire jobs in the app and end with the expected counts.</summary>
public class ImportPageTests : IDisposable
{
    private readonly PlatformFactory _factory = new PlatformFactory()
        .With("Import:MaxUploadBytes", "300000")
        .With("Import:DownloadTimeout", "00:00:03")
        // The archive servers run on 127.0.0.1: only that address is opened in the SSRF guard.
        .With("Outbound:AllowedNetworks:0", "127.0.0.1/32");

    [Fact]
    public async Task Folder_import_runs_as_a_job_and_fills_the_dataset_page()
    {
        var admin = await _factory.SignInAdminAsync();
        var datasetId = await CreateDatasetAsync(admin, "folder-import");
        using var folder = new ImportFolder().AddCaltech("accordion", 4).AddCaltech("ant", 3).AddHostile("ant");

        var response = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Folder&datasetId={datasetId}", new() { ["Folder.Path"] = folder.Root, ["Folder.NoiseClass"] = "ant" }, tokenPage: $"/Admin/Datasets/Import?datasetId={datasetId}");
        var run = await _factory.Services.WaitForRunAsync(JobWaiting.RunIdFrom(response));

        Assert.Equal(JobState.Succeeded, run.State);
        Assert.Equal((7, 0, ImportFolder.Hostile.Length), (run.Succeeded, run.Duplicates, run.Failed));
        Assert.Equal(run.Total, run.Processed);
        Assert.Equal(PlatformFactory.AdminEmail, run.StartedBy);

        var page = await admin.GetStringAsync($"/Datasets/Details/{datasetId}");
        Assert.Contains("<strong id=\"image-count\">7</strong>", page, StringComparison.Ordinal);
        Assert.Equal(7, CountOccurrences(page, "class=\"thumb\""));
        foreach (var (name, _, reason) in ImportFolder.Hostile)
        {
            Assert.Contains($"ant/{name}", page, StringComparison.Ordinal);
        }

        var jobPage = await admin.GetStringAsync($"/Admin/Jobs/Details/{run.Id}");
        Assert.Contains("100%", jobPage, StringComparison.Ordinal);
        Assert.Contains("Succeeded", jobPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Images_and_thumbnails_are_served_to_signed_in_users_with_caching_headers()
    {
        var admin = await _factory.SignInAdminAsync();
        var datasetId = await CreateDatasetAsync(admin, "serving");
        using var folder = new ImportFolder().Add("c/one.png", TestImages.Png(40, 30));
        var response = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Folder&datasetId={datasetId}", new() { ["Folder.Path"] = folder.Root }, tokenPage: $"/Admin/Datasets/Import?datasetId={datasetId}");
        await _factory.Services.WaitForRunAsync(JobWaiting.RunIdFrom(response));
        var image = await QueryAsync(db => db.Images.SingleAsync(i => i.DatasetId == datasetId));

        var file = await admin.GetAsync($"/images/{image.Id}/file");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TestImages.Png(40, 30), await file.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{image.Sha256}\"", file.Headers.ETag?.Tag);
        Assert.Contains("immutable", file.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.True(file.Headers.CacheControl?.Private);

        var thumb = await admin.GetAsync($"/images/{image.Id}/thumb");
        Assert.Equal("image/jpeg", thumb.Content.Headers.ContentType?.MediaType);

        var conditional = new HttpRequestMessage(HttpMethod.Get, $"/images/{image.Id}/thumb");
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{image.Sha256}\""));
        Assert.Equal(HttpStatusCode.NotModified, (await admin.SendAsync(conditional)).StatusCode);

        var anonymous = await _factory.CreateBrowserClient().GetAsync($"/images/{image.Id}/file");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/images/999999/file")).StatusCode);
    }

    [Fact]
    public async Task Uploaded_zip_is_extracted_safely_and_imported()
    {
        var admin = await _factory.SignInAdminAsync();
        var datasetId = await CreateDatasetAsync(admin, "zip-upload");
        var zip = Zip(("pets/cat/a.jpg", TestImages.Jpeg(shade: 20)), ("pets/cat/b.jpg", TestImages.Jpeg(shade: 90)), ("pets/dog/c.png", TestImages.Png()),
            ("../escape.jpg", TestImages.Jpeg(shade: 150)), ("pets/dog/notes.jpg", TestImages.Text()));

        var response = await admin.PostMultipartAsync($"/Admin/Datasets/Import?handler=Upload&datasetId={datasetId}", $"/Admin/Datasets/Import?datasetId={datasetId}", form =>
        {
            var file = new ByteArrayContent(zip);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            form.Add(file, "Upload.Archive", "pets.zip");
        });
        var run = await _factory.Services.WaitForRunAsync(JobWaiting.RunIdFrom(response));

        Assert.Equal(JobState.Succeeded, run.State);
        Assert.Equal((3, 2), (run.Succeeded, run.Failed));
        var rejected = await QueryAsync(db => db.RejectedFiles.Where(r => r.DatasetId == datasetId).ToDictionaryAsync(r => r.Origin, r => r.Reason));
        Assert.Contains("..", rejected["pets.zip!/../escape.jpg"], StringComparison.Ordinal);
        Assert.Contains("not an image", rejected["pets.zip!/dog/notes.jpg"], StringComparison.Ordinal);
        // The wrapping "pets" folder is not a class; cat and dog are.
        var classes = await QueryAsync(db => db.ImageClasses.Where(c => c.DatasetId == datasetId).Select(c => c.Name).OrderBy(n => n).ToListAsync());
        Assert.Equal(["cat", "dog"], classes);
        Assert.False(File.Exists(Path.Combine(_factory.DataDirectory, "escape.jpg")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_factory.DataDirectory, "staging"), "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(Path.Combine(_factory.DataDirectory, "uploads")));
    }

    [Fact]
    public async Task Upload_over_the_cap_is_refused_and_nothing_is_stored()
    {
        var admin = await _factory.SignInAdminAsync();
        var datasetId = await CreateDatasetAsync(admin, "too-big");
        var big = Zip(("c/noise.bin", RandomNumberGenerator.GetBytes(2_000_000)));

        var response = await admin.PostMultipartAsync($"/Admin/Datasets/Import?handler=Upload&datasetId={datasetId}", $"/Admin/Datasets/Import?datasetId={datasetId}", form =>
            form.Add(new ByteArrayContent(big), "Upload.Archive", "big.zip"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("cap", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await QueryAsync(db => db.JobRuns.CountAsync()));
        var uploads = Path.Combine(_factory.DataDirectory, "uploads");
        Assert.True(!Directory.Exists(uploads) || Directory.GetFiles(uploads).Length == 0);
    }

    [Fact]
    public async Task Archive_url_is_downloaded_with_its_sha256_pin_and_imported()
    {
        var archive = TarGz(("birds/x.jpg", TestImages.Jpeg(shade: 33)), ("birds/y.jpg", TestImages.Jpeg(shade: 66)));
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/birds.tar.gz", () => Results.Bytes(archive, "application/gzip")));
        var admin = await _factory.SignInAdminAsync();
        var datasetId = await CreateDatasetAsync(admin, "url-import");

        var response = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Url&datasetId={datasetId}",
            new() { ["Remote.Url"] = $"{server.BaseUrl}/birds.tar.gz", ["Remote.Sha256"] = Convert.ToHexString(SHA256.HashData(archive)) },
            tokenPage: $"/Admin/Datasets/Import?datasetId={datasetId}");
        var run = await _factory.Services.WaitForRunAsync(JobWaiting.RunIdFrom(response));

        Assert.Equal(JobState.Succeeded, run.State);
        Assert.Equal(2, run.Succeeded);
    }

    [Fact]
    public async Task Archive_url_whose_body_never_ends_fails_the_job_with_the_reason()
    {
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/endless.tar.gz", LoopbackServer.EndlessBody));
        var admin = await _factory.SignInAdminAsync();
        var datasetId = await CreateDatasetAsync(admin, "url-endless");

        var response = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Url&datasetId={datasetId}", new() { ["Remote.Url"] = $"{server.BaseUrl}/endless.tar.gz" },
            tokenPage: $"/Admin/Datasets/Import?datasetId={datasetId}");
        var run = await _factory.Services.WaitForRunAsync(JobWaiting.RunIdFrom(response));

        Assert.Equal(JobState.Failed, run.State);
        Assert.Contains("not finished within 3 s", run.Error, StringComparison.Ordinal);
        Assert.Equal(0, await QueryAsync(db => db.Images.CountAsync()));
    }

    [Fact]
    public async Task Wrong_form_values_get_clear_errors_and_start_nothing()
    {
        var admin = await _factory.SignInAdminAsync();
        var datasetId = await CreateDatasetAsync(admin, "bad-forms");
        var import = $"/Admin/Datasets/Import?datasetId={datasetId}";

        var missing = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Folder&datasetId={datasetId}", new() { ["Folder.Path"] = "/no/such/folder" }, import);
        var url = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Url&datasetId={datasetId}", new() { ["Remote.Url"] = "ftp://example.org/x.zip" }, import);
        var pin = await admin.PostFormAsync($"/Admin/Datasets/Import?handler=Url&datasetId={datasetId}", new() { ["Remote.Url"] = "http://127.0.0.1:9/x.zip", ["Remote.Sha256"] = "abc" }, import);
        var notArchive = await admin.PostMultipartAsync($"/Admin/Datasets/Import?handler=Upload&datasetId={datasetId}", import, form =>
            form.Add(new ByteArrayContent(TestImages.Text()), "Upload.Archive", "fake.zip"));
        var dataset = await admin.PostFormAsync("/Admin/Datasets/Create", new() { ["Input.Name"] = "../bad name" });

        Assert.Contains("does not exist", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("http://", WebUtility.HtmlDecode(await url.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Contains("64 hex digits", await pin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("not a .zip", await notArchive.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Use letters, digits", WebUtility.HtmlDecode(await dataset.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.All([missing, url, pin, notArchive, dataset], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(0, await QueryAsync(db => db.JobRuns.CountAsync()));
    }

    private async Task<int> CreateDatasetAsync(HttpClient admin, string name)
    {
        var response = await admin.PostFormAsync("/Admin/Datasets/Create", new() { ["Input.Name"] = name, ["Input.Description"] = "test" });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return await QueryAsync(db => db.Datasets.Where(d => d.Name == name).Select(d => d.Id).SingleAsync());
    }

    private async Task<T> QueryAsync<T>(Func<PlatformDbContext, Task<T>> query)
    {
        using var scope = _factory.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<PlatformDbContext>());
    }

    private static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(bytes);
            }
        }

        return stream.ToArray();
    }

    private static byte[] TarGz(params (string Name, byte[] Bytes)[] entries)
    {
        using var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gzip))
        {
            foreach (var (name, bytes) in entries)
            {
                tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
            }
        }

        return stream.ToArray();
    }

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    public void Dispose() => _factory.Dispose();
}
