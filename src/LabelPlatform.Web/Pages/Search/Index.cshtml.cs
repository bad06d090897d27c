using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Search;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Search;

/// <summary>Query by image: upload a file (POST) or follow "more like this" from a stored image (GET with imageId).</summary>
public class IndexModel(PlatformDbContext db, ModelRegistry models, SearchService search) : PageModel
{
    public sealed record Option(int Id, string Name);

    [BindProperty(SupportsGet = true)]
    public int? DatasetId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ModelName { get; set; }

    [BindProperty(SupportsGet = true)]
    public int K { get; set; } = 10;

    [BindProperty(SupportsGet = true)]
    public int? ClassId { get; set; }

    [BindProperty(SupportsGet = true)]
    public long? ImageId { get; set; }

    [BindProperty]
    public IFormFile? Upload { get; set; }

    public List<Option> Datasets { get; private set; } = [];
    public List<Option> Classes { get; private set; } = [];
    public List<string> Models { get; private set; } = [];
    public SearchResponse? Results { get; private set; }
    public int MaxK => search.MaxK;

    public string MoreLikeThis(long imageId) => $"/Search?DatasetId={DatasetId}&ModelName={Uri.EscapeDataString(ModelName ?? "")}&K={K}&ImageId={imageId}";

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
        await RunAsync(null, buffer.ToArray(), ct);
        return Page();
    }

    private async Task RunAsync(long? imageId, byte[]? imageBytes, CancellationToken ct)
    {
        if (DatasetId is not { } datasetId)
        {
            ModelState.AddModelError(nameof(DatasetId), "Choose a dataset.");
            return;
        }

        EmbeddingModel? model;
        try
        {
            model = await models.ResolveAsync(ModelName, ct);
        }
        catch (EmbeddingException ex)
        {
            ModelState.AddModelError(nameof(ModelName), ex.Message);
            return;
        }

        if (model is null)
        {
            ModelState.AddModelError(nameof(ModelName), $"Model '{ModelName}' is not registered.");
            return;
        }

        ModelName = model.Name;
        try
        {
            Results = await search.SearchAsync(new SearchQuery { DatasetId = datasetId, Model = model, K = K, ClassId = ClassId, ImageId = imageId, ImageBytes = imageBytes }, ct);
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
        Models = [.. (await models.ListLatestAsync(ct)).Select(m => m.Name).Union(models.AvailableBuiltIns())];
        ModelName ??= Models.Contains(ModelRegistry.MobileNetV2) ? ModelRegistry.MobileNetV2 : Models.FirstOrDefault();
        K = Math.Clamp(K, 1, search.MaxK);
    }
}
