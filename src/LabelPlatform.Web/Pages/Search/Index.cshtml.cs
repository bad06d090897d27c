using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Images;
using LabelPlatform.Core.Search;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Search;

/// <summary>Query by image: upload a file (POST) or follow "more like this" from a stored image (GET with imageId).</summary>
public class IndexModel(PlatformDbContext db, ModelRegistry models, SearchService search, GroundTruthService groundTruth, ImageValidator validator) : PageModel
{
    public const string ImportPrefix = "import:";
    public const string LabelPrefix = "label:";

    public sealed record Option(int Id, string Name);

    [BindProperty(SupportsGet = true)]
    public int? DatasetId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ModelName { get; set; }

    [BindProperty(SupportsGet = true)]
    public int K { get; set; } = 10;

    /// <summary>Import label only (kept for links that name it; the form sends <see cref="Only"/>).</summary>
    [BindProperty(SupportsGet = true)]
    public int? ClassId { get; set; }

    /// <summary>
    /// The class filter: "import:ID" (the folder an image came from) or "label:ID" (its current label: a reviewer's
    /// decision, else the labellers' consensus, else the import label, as evaluation uses it).
    /// </summary>
    [BindProperty(SupportsGet = true)]
    public string? Only { get; set; }

    [BindProperty(SupportsGet = true)]
    public long? ImageId { get; set; }

    [BindProperty]
    public IFormFile? Upload { get; set; }

    public List<Option> Datasets { get; private set; } = [];
    public List<Option> Classes { get; private set; } = [];
    public List<string> Models { get; private set; } = [];
    public SearchResponse? Results { get; private set; }
    public int MaxK => search.MaxK;

    /// <summary>The largest query file (Images:MaxFileBytes): the page's script refuses larger ones before sending.</summary>
    public long MaxUploadBytes => validator.Options.MaxFileBytes;

    /// <summary>After an upload: the uploaded file's thumbnail as a data URL, shown beside its results.</summary>
    public string? UploadPreview { get; private set; }

    public string MoreLikeThis(long imageId) => $"/Search?DatasetId={DatasetId}&ModelName={Uri.EscapeDataString(ModelName ?? "")}&K={K}&Only={Uri.EscapeDataString(Only ?? "")}&ImageId={imageId}";

    public async Task OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (ImageId is not null)
        {
            await RunAsync(ImageId, null, ct);
        }
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Upload is null || Upload.Length == 0)
        {
            ModelState.AddModelError(nameof(Upload), "Choose an image to search with.");
            return Page();
        }

        using var buffer = new MemoryStream();
        await Upload.CopyToAsync(buffer, ct);
        ImageId = null;
        var bytes = buffer.ToArray();
        await RunAsync(null, bytes, ct);
        if (Results is not null && validator.Check(bytes).Image is { } checkedImage)
        {
            // The search accepted the file, so it decodes: its thumbnail (a few KB of JPEG) goes into the page.
            UploadPreview = "data:image/jpeg;base64," + Convert.ToBase64String(checkedImage.Thumbnail);
        }

        return Page();
    }

    private async Task RunAsync(long? imageId, byte[]? imageBytes, CancellationToken ct)
    {
        if (DatasetId is not { } datasetId)
        {
            ModelState.AddModelError(nameof(DatasetId), "Choose a dataset.");
            return;
        }

        if (string.IsNullOrEmpty(ModelName))
        {
            ModelState.AddModelError(nameof(ModelName), "No model is registered yet: an admin registers one on the Models page.");
            return;
        }

        EmbeddingModel? model;
        try
        {
            // Registered models only: a search (a GET link included) never registers one as a side effect.
            model = await models.ResolveRegisteredAsync(ModelName, ct);
        }
        catch (EmbeddingException ex)
        {
            ModelState.AddModelError(nameof(ModelName), ex.Message);
            return;
        }

        if (model is null)
        {
            ModelState.AddModelError(nameof(ModelName), $"Model '{ModelName}' is not registered: an admin registers it on the Models page.");
            return;
        }

        ModelName = model.Name;
        IReadOnlySet<long>? onlyImages = null;
        if (Only?.StartsWith(LabelPrefix, StringComparison.Ordinal) == true && int.TryParse(Only.AsSpan(LabelPrefix.Length), out var labelClass))
        {
            if (Classes.All(c => c.Id != labelClass))
            {
                ModelState.AddModelError(nameof(Only), "That class is not a class of this dataset.");
                return;
            }

            var labels = await groundTruth.CurrentAsync(datasetId, ct);
            onlyImages = labels.ClassOf.Where(l => l.Value == labelClass).Select(l => l.Key).ToHashSet();
        }

        try
        {
            Results = await search.SearchAsync(new SearchQuery { DatasetId = datasetId, Model = model, K = K, ClassId = ClassId, OnlyImageIds = onlyImages, ImageId = imageId, ImageBytes = imageBytes }, ct);
        }
        catch (SearchException ex)
        {
            ModelState.AddModelError(string.Empty, ex.Message);
        }
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Datasets = await db.Datasets.AsNoTracking().OrderBy(d => d.Name).Select(d => new Option(d.Id, d.Name)).ToListAsync(ct);
        DatasetId ??= Datasets.FirstOrDefault()?.Id;
        Classes = DatasetId is null ? [] : await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == DatasetId).OrderBy(c => c.Name).Select(c => new Option(c.Id, c.Name)).ToListAsync(ct);
        Models = [.. (await models.ListLatestAsync(ct)).Select(m => m.Name)];
        ModelName ??= Models.Contains(ModelRegistry.MobileNetV2) ? ModelRegistry.MobileNetV2 : Models.FirstOrDefault();
        K = Math.Clamp(K, 1, search.MaxK);
        if (Only?.StartsWith(ImportPrefix, StringComparison.Ordinal) == true && int.TryParse(Only.AsSpan(ImportPrefix.Length), out var importClass))
        {
            ClassId = importClass;
        }
        else if (ClassId is { } legacy && string.IsNullOrEmpty(Only))
        {
            Only = ImportPrefix + legacy;
        }
        else if (!string.IsNullOrEmpty(Only))
        {
            ClassId = null;
        }
    }
}
