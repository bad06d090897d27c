using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Datasets.Import;
using LabelPlatform.Core.Jobs;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Pages.Admin.Datasets;

public class ImportModel(PlatformDbContext db, JobRunService runs, DatasetService datasets, IOptions<StorageOptions> storage, IOptions<ImportOptions> options) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public int DatasetId { get; set; }

    public string DatasetName { get; private set; } = "";
    public long MaxUploadMegabytes => options.Value.MaxUploadBytes / (1024 * 1024);

    [BindProperty]
    public FolderInput Folder { get; set; } = new();

    [BindProperty]
    public UploadInput Upload { get; set; } = new();

    [BindProperty]
    public UrlInput Remote { get; set; } = new();

    public sealed class FolderInput
    {
        [Required(ErrorMessage = "Give the server folder to import.")]
        public string Path { get; set; } = "";

        [StringLength(200)]
        public string? NoiseClass { get; set; }
    }

    public sealed class UploadInput
    {
        [Required(ErrorMessage = "Choose an archive to upload.")]
        public IFormFile? Archive { get; set; }

        [StringLength(200)]
        public string? NoiseClass { get; set; }
    }

    public sealed class UrlInput
    {
        [Required(ErrorMessage = "Give the archive's URL."), Url(ErrorMessage = "The URL must be an absolute http:// or https:// URL.")]
        public string Url { get; set; } = "";

        [RegularExpression("^[0-9a-fA-F]{64}$", ErrorMessage = "A SHA-256 pin is 64 hex digits.")]
        public string? Sha256 { get; set; }

        [StringLength(200)]
        public string? NoiseClass { get; set; }
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await LoadAsync(ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostFolderAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        if (!Validate(Folder, nameof(Folder)))
        {
            return Page();
        }

        if (!Directory.Exists(Folder.Path))
        {
            ModelState.AddModelError("Folder.Path", $"Folder '{Folder.Path}' does not exist on the server.");
            return Page();
        }

        if (await NoiseClassCheck.ProblemAsync(datasets, DatasetId, Folder.Path, Blank(Folder.NoiseClass), ct) is { } noiseProblem)
        {
            ModelState.AddModelError("Folder.NoiseClass", char.ToUpperInvariant(noiseProblem[0]) + noiseProblem[1..] + ".");
            return Page();
        }

        return await StartAsync(new ImportParameters { Source = ImportSources.Folder, Path = Path.GetFullPath(Folder.Path), NoiseClass = Blank(Folder.NoiseClass) }, ct);
    }

    public async Task<IActionResult> OnPostUploadAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        if (!Validate(Upload, nameof(Upload)))
        {
            return Page();
        }

        var archive = Upload.Archive!;
        if (archive.Length == 0)
        {
            ModelState.AddModelError("Upload.Archive", "The uploaded file is empty.");
            return Page();
        }

        if (archive.Length > options.Value.MaxUploadBytes)
        {
            ModelState.AddModelError("Upload.Archive", $"The upload is over the {MaxUploadMegabytes:N0} MB cap.");
            return Page();
        }

        // The form reader already spooled the upload to a temp file; move it into the data directory for the job.
        Directory.CreateDirectory(storage.Value.UploadsPath);
        var stored = Path.Combine(storage.Value.UploadsPath, $"{Guid.NewGuid():N}.upload");
        await using (var target = System.IO.File.Create(stored))
        {
            await archive.CopyToAsync(target, ct);
        }

        if (ArchiveExtractor.Detect(stored) == ArchiveExtractor.Kind.Unknown)
        {
            System.IO.File.Delete(stored);
            ModelState.AddModelError("Upload.Archive", "The file is not a .zip, .tar or .tar.gz archive (checked by content).");
            return Page();
        }

        return await StartAsync(new ImportParameters { Source = ImportSources.Archive, Path = stored, ArchiveName = System.IO.Path.GetFileName(archive.FileName), NoiseClass = Blank(Upload.NoiseClass) }, ct);
    }

    public async Task<IActionResult> OnPostUrlAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct))
        {
            return NotFound();
        }

        if (!Validate(Remote, nameof(Remote)))
        {
            return Page();
        }

        if (!Uri.TryCreate(Remote.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            ModelState.AddModelError("Remote.Url", "The URL must be an absolute http:// or https:// URL.");
            return Page();
        }

        return await StartAsync(new ImportParameters { Source = ImportSources.Url, Url = uri.ToString(), Sha256 = Blank(Remote.Sha256)?.ToLowerInvariant(), ArchiveName = uri.Segments.LastOrDefault(), NoiseClass = Blank(Remote.NoiseClass) }, ct);
    }

    private async Task<IActionResult> StartAsync(ImportParameters parameters, CancellationToken ct)
    {
        var run = await runs.CreateAndEnqueueAsync(JobKinds.Import, DatasetId, parameters, User.Identity?.Name, ct);
        TempData["Flash"] = $"Import queued as job run {run.Id}.";
        return Redirect($"/Admin/Jobs/Details/{run.Id}");
    }

    /// <summary>
    /// Three forms share one page: only the posted form's input is judged, and it is validated explicitly because
    /// MVC skips validation of an input model when the request carried none of its fields.
    /// </summary>
    private bool Validate(object input, string prefix)
    {
        foreach (var key in ModelState.Keys.Where(k => k != nameof(DatasetId)).ToList())
        {
            ModelState.Remove(key);
        }

        return TryValidateModel(input, prefix);
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == DatasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        DatasetName = name ?? "";
        return name is not null;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
