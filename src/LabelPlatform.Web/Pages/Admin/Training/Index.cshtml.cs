using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Training;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Training;

/// <summary>
/// Starts a training job (a projection head on a base model's embeddings of a split's training images) and lists the
/// trained models with their validation and test figures. Post-redirect-get to the job's page.
/// </summary>
[Authorize(Policy = Policies.Admin)]
public class IndexModel(PlatformDbContext db, ModelRegistry registry, TrainingService training) : PageModel
{
    public sealed record TrainedRow(EmbeddingModel Model, int? BestEpoch, double? Validation, double? BasePrecision, double? Precision, double? PValue, long? BaseRun, long? TrainedRun)
    {
        /// <summary>On classes the head never saw: base and head P@10, and the warning when the head is worse.</summary>
        public double? HeldOutBase { get; init; }
        public double? HeldOutHead { get; init; }
        public string? HeldOutWarning { get; init; }
        public string? ValidationNote { get; init; }
    }

    public List<Dataset> Datasets { get; private set; } = [];
    public List<EvaluationSplit> Splits { get; private set; } = [];
    public List<EmbeddingModel> Models { get; private set; } = [];
    public List<TrainedRow> Trained { get; private set; } = [];

    [BindProperty]
    public TrainInput Input { get; set; } = new();

    public sealed class TrainInput
    {
        [Range(1, int.MaxValue, ErrorMessage = "Choose a dataset.")]
        public int DatasetId { get; set; }

        [Range(1, int.MaxValue, ErrorMessage = "Choose a split with training images (draw one on Admin › Evaluations).")]
        public int SplitId { get; set; }

        [Range(1, int.MaxValue, ErrorMessage = "Choose a base model.")]
        public int BaseModelId { get; set; }

        [Required(ErrorMessage = "Name the new model.")]
        [RegularExpression("^[A-Za-z0-9._-]{1,100}$", ErrorMessage = "The name uses 1-100 letters, digits, '-', '_' or '.'.")]
        public string Name { get; set; } = "";

        [Range(2, 4096, ErrorMessage = "The dimension must be between 2 and 4096.")]
        public int Dimension { get; set; } = new TrainingOptions().Dimension;

        [Range(0, 8192, ErrorMessage = "Hidden units must be between 0 (a linear head) and 8192.")]
        public int Hidden { get; set; } = new TrainingOptions().Hidden;

        [Range(1, 1000, ErrorMessage = "Epochs must be between 1 and 1000.")]
        public int Epochs { get; set; } = new TrainingOptions().Epochs;

        public TrainingLoss Loss { get; set; } = TrainingLoss.ProxySoftmax;

        public HeadKind Head { get; set; } = new TrainingOptions().Head;

        [Range(0.0, 10.0, ErrorMessage = "The correction scale must be between 0 and 10.")]
        public float Correction { get; set; } = new TrainingOptions().Correction;

        [Range(0.0, 0.99, ErrorMessage = "The base share must be between 0 and 0.99.")]
        public float BaseShare { get; set; } = new TrainingOptions().BaseShare;

        [Range(0, int.MaxValue, ErrorMessage = "The seed is a whole number of 0 or more.")]
        public int Seed { get; set; } = EvaluationService.DefaultSeed;
    }

    public async Task OnGetAsync(int? datasetId, CancellationToken ct)
    {
        await LoadAsync(datasetId, ct);
        Input.BaseModelId = Models.FirstOrDefault(m => m.TrainingJobRunId is null)?.Id ?? 0;
        Input.SplitId = Splits.FirstOrDefault()?.Id ?? 0;
        Input.Name = Models.FirstOrDefault(m => m.Id == Input.BaseModelId) is { } b ? $"{b.Name}-head" : "";
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid)
        {
            await LoadAsync(Input.DatasetId, ct);
            return Page();
        }

        try
        {
            var options = new TrainingOptions
            {
                Dimension = Input.Dimension, Hidden = Input.Hidden, Epochs = Input.Epochs, Loss = Input.Loss, Seed = Input.Seed,
                Head = Input.Head, Correction = Input.Correction, BaseShare = Input.BaseShare,
            };
            if (options.Problem() is { } problem)
            {
                ModelState.AddModelError(string.Empty, $"Not started: {problem}.");
                await LoadAsync(Input.DatasetId, ct);
                return Page();
            }

            var job = await training.CreateRunAsync(Input.DatasetId, new TrainParameters(Input.SplitId, Input.BaseModelId, Input.Name, options), User.Identity?.Name, enqueue: true, ct);
            TempData["Flash"] = $"Training {Input.Name}: job run {job.Id}. When it ends, the model is registered and evaluated against its base.";
            return Redirect($"/Admin/Jobs/Details/{job.Id}");
        }
        catch (TrainingException ex)
        {
            ModelState.AddModelError(string.Empty, $"Not started: {ex.Message}.");
            await LoadAsync(Input.DatasetId, ct);
            return Page();
        }
    }

    private async Task LoadAsync(int? datasetId, CancellationToken ct)
    {
        Datasets = await db.Datasets.AsNoTracking().OrderBy(d => d.Name).ToListAsync(ct);
        Input.DatasetId = datasetId is { } id && Datasets.Any(d => d.Id == id) ? id : Datasets.FirstOrDefault()?.Id ?? 0;
        Splits = await db.EvaluationSplits.AsNoTracking().Where(s => s.DatasetId == Input.DatasetId && s.Training > 0).OrderByDescending(s => s.Id).ToListAsync(ct);
        Models = await registry.ListLatestAsync(ct);
        var trained = await db.EmbeddingModels.AsNoTracking().Where(m => m.TrainingJobRunId != null).OrderByDescending(m => m.Id).Take(50).ToListAsync(ct);
        Trained = [.. trained.Select(Describe)];
    }

    private static TrainedRow Describe(EmbeddingModel model)
    {
        try
        {
            using var doc = JsonDocument.Parse(model.TrainingJson ?? "{}");
            var root = doc.RootElement;
            double? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
            var evaluation = root.TryGetProperty("evaluation", out var ev) ? ev : default;
            var hasEvaluation = evaluation.ValueKind == JsonValueKind.Object;
            var heldOut = root.TryGetProperty("held_out_classes", out var h) && h.ValueKind == JsonValueKind.Object && h.TryGetProperty("result", out var r) ? r : default;
            var hasHeldOut = heldOut.ValueKind == JsonValueKind.Object;
            string? Text(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return new TrainedRow(model, (int?)Number(root, "best_epoch"), Number(root, "validation_precision_at10"),
                hasEvaluation ? Number(evaluation, "base_precision_at_k") : null, hasEvaluation ? Number(evaluation, "trained_precision_at_k") : null,
                hasEvaluation ? Number(evaluation, "p_value") : null, hasEvaluation ? (long?)Number(evaluation, "base_run") : null, hasEvaluation ? (long?)Number(evaluation, "trained_run") : null)
            {
                HeldOutBase = hasHeldOut ? Number(heldOut, "base_precision_at_k") : null,
                HeldOutHead = hasHeldOut ? Number(heldOut, "precision_at_k") : null,
                HeldOutWarning = Text(h, "warning"),
                ValidationNote = Text(root, "validation_note"),
            };
        }
        catch (JsonException)
        {
            return new TrainedRow(model, null, null, null, null, null, null, null);
        }
    }
}
