using System.ComponentModel.DataAnnotations;
using System.Globalization;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Evaluations;

/// <summary>
/// Starts an evaluation run: a dataset, one of its frozen splits or a new one drawn here, a model version or the
/// random baseline, and the cut-offs. The run is a job; the form redirects to its page (post-redirect-get).
/// </summary>
[Authorize(Policy = Policies.Admin)]
public class IndexModel(PlatformDbContext db, ModelRegistry registry, EvaluationService evaluations, SplitFiles splitFiles) : PageModel
{
    public const string KValuesMessage = "K values must be whole numbers between 1 and 1000, separated by commas (e.g. 1,5,10,20).";

    public List<Dataset> Datasets { get; private set; } = [];
    public List<EvaluationSplit> Splits { get; private set; } = [];
    public List<EmbeddingModel> Models { get; private set; } = [];

    [BindProperty]
    public StartInput Input { get; set; } = new();

    public sealed class StartInput
    {
        [Range(1, int.MaxValue, ErrorMessage = "Choose a dataset.")]
        public int DatasetId { get; set; }

        /// <summary>An existing split; null draws a new one with the settings below.</summary>
        public int? SplitId { get; set; }

        public string Protocol { get; set; } = SplitProtocols.Article;

        [StringLength(100)]
        public string? SplitName { get; set; }

        public int Seed { get; set; } = EvaluationService.DefaultSeed;

        [Range(1, 1000, ErrorMessage = "Queries per class must be between 1 and 1000.")]
        public int QueriesPerClass { get; set; } = 5;

        [Range(1, 10000, ErrorMessage = "Candidates per class must be between 1 and 10000.")]
        public int CandidatesPerClass { get; set; } = 15;

        /// <summary>A model version; null is the random baseline.</summary>
        public int? ModelId { get; set; }

        [Required(ErrorMessage = KValuesMessage)]
        public string KValues { get; set; } = "1,5,10,20";

        [Range(1, 1000, ErrorMessage = "The main K must be a whole number between 1 and 1000.")]
        public int MainK { get; set; } = 10;
    }

    public async Task OnGetAsync(int? datasetId, CancellationToken ct)
    {
        await LoadAsync(ct);
        if (Datasets.Count > 0)
        {
            Input.DatasetId = datasetId is { } id && Datasets.Any(d => d.Id == id) ? id : Datasets[0].Id;
            Splits = await SplitsAsync(Input.DatasetId, ct);
        }

        // The default model first: most runs evaluate it.
        Input.ModelId = Models.FirstOrDefault()?.Id;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var ks = ParseKs(Input.KValues);
        if (ks is null)
        {
            ModelState.Remove("Input.KValues");
            ModelState.AddModelError("Input.KValues", KValuesMessage);
        }

        if (Input.SplitId is null && !SplitProtocols.All.Contains(Input.Protocol))
        {
            ModelState.AddModelError("Input.Protocol", $"The protocol is {string.Join(" or ", SplitProtocols.All)}.");
        }

        if (!ModelState.IsValid)
        {
            return await PageAsync(ct);
        }

        try
        {
            var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == Input.DatasetId, ct)
                ?? throw new EvaluationException($"dataset {Input.DatasetId} does not exist");
            var split = Input.SplitId is { } splitId
                ? await db.EvaluationSplits.AsNoTracking().FirstOrDefaultAsync(s => s.Id == splitId && s.DatasetId == dataset.Id, ct)
                    ?? throw new EvaluationException($"split {splitId} is not a split of {dataset.Name}")
                : await evaluations.GetOrCreateSplitAsync(dataset.Id, Input.SplitName, Input.Protocol, Input.Seed, User.Identity?.Name,
                    Input.QueriesPerClass, Input.CandidatesPerClass, ct);
            var (run, job) = await evaluations.CreateRunAsync(new EvaluationRequest
            {
                DatasetId = dataset.Id,
                SplitId = split.Id,
                ModelId = Input.ModelId,
                Ks = ks!,
                MainK = Input.MainK,
                StartedBy = User.Identity?.Name,
            }, enqueue: true, ct);
            TempData["Flash"] = $"Evaluating {dataset.Name} (split {split.Name}) with {run.Label}: job run {job.Id}. The report will be at /Evaluation/Report/{run.Id}.";
            return Redirect($"/Admin/Jobs/Details/{job.Id}");
        }
        catch (EvaluationException ex)
        {
            ModelState.AddModelError(string.Empty, $"Not started: {ex.Message}.");
            return await PageAsync(ct);
        }
    }

    /// <summary>A split as a portable JSON file (SHA-256, class, role per image), for another install to import.</summary>
    public async Task<IActionResult> OnGetSplitFileAsync(int splitId, CancellationToken ct)
    {
        try
        {
            var file = await splitFiles.ExportAsync(splitId, ct);
            var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(file, SplitFiles.Json);
            return File(bytes, "application/json", $"{file.Dataset}-{file.Name}.split.json");
        }
        catch (EvaluationException)
        {
            return NotFound();
        }
    }

    /// <summary>Imports a split file exported by another install: every image is matched by its SHA-256, or nothing is stored.</summary>
    public async Task<IActionResult> OnPostImportSplitAsync(int datasetId, IFormFile? splitFile, string? splitName, CancellationToken ct)
    {
        ModelState.Clear();
        Input.DatasetId = datasetId;
        if (splitFile is null || splitFile.Length == 0)
        {
            ModelState.AddModelError(string.Empty, "Choose a split file (.split.json) to import.");
            return await PageAsync(ct);
        }

        if (splitFile.Length > MaxSplitFileBytes)
        {
            ModelState.AddModelError(string.Empty, $"The split file is {splitFile.Length / (1024 * 1024)} MB; split files are capped at {MaxSplitFileBytes / (1024 * 1024)} MB.");
            return await PageAsync(ct);
        }

        try
        {
            using var reader = new StreamReader(splitFile.OpenReadStream());
            var file = SplitFiles.Parse(await reader.ReadToEndAsync(ct));
            var split = await splitFiles.ImportAsync(datasetId, file, splitName, User.Identity?.Name, ct);
            TempData["Flash"] = $"Imported split {split.Name}: {split.Queries:N0} queries, {split.Candidates:N0} candidates, {split.Training:N0} training images.";
            return RedirectToPage(new { datasetId });
        }
        catch (EvaluationException ex)
        {
            ModelState.AddModelError(string.Empty, $"Split not imported: {ex.Message}.");
            return await PageAsync(ct);
        }
    }

    /// <summary>A split of a million images is about 130 MB of JSON; anything larger is not a split file.</summary>
    public const long MaxSplitFileBytes = 256L * 1024 * 1024;

    /// <summary>"1, 5,10 20" → [1, 5, 10, 20]; null unless every value is a whole number 1-1000.</summary>
    public static List<int>? ParseKs(string? text)
    {
        var parts = (text ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ks = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k is < 1 or > 1000)
            {
                return null;
            }

            ks.Add(k);
        }

        return ks.Count == 0 ? null : [.. ks.Distinct().Order()];
    }

    private async Task<PageResult> PageAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        Splits = await SplitsAsync(Input.DatasetId, ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Datasets = await db.Datasets.AsNoTracking().OrderBy(d => d.Name).ToListAsync(ct);
        Models = await registry.ListLatestAsync(ct);
    }

    private Task<List<EvaluationSplit>> SplitsAsync(int datasetId, CancellationToken ct) =>
        db.EvaluationSplits.AsNoTracking().Where(s => s.DatasetId == datasetId).OrderByDescending(s => s.Id).ToListAsync(ct);
}
