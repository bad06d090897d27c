using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Maps;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Datasets;

/// <summary>
/// A dataset's embedding map: the UMAP of its vectors under one model version, coloured by label, with hover
/// previews and a lasso whose selection can be labelled in one action. Reviewers and admins: the map colours by
/// import labels, which labellers must not see. The points come from /api/map (wwwroot/js/map).
/// </summary>
[Authorize(Policy = Policies.Reviewer)]
public class MapModel(PlatformDbContext db, MapView maps, MapRuns runs) : PageModel
{
    public sealed record ModelChoice(int Id, string Label, int Vectors);

    public int DatasetId { get; private set; }
    public string DatasetName { get; private set; } = "";
    public List<ModelChoice> Models { get; private set; } = [];
    public int? ModelId { get; private set; }
    public EmbeddingMap? Map { get; private set; }
    public long? ActiveRunId { get; private set; }
    public int VectorsNow { get; private set; }
    public string ConfigJson { get; private set; } = "{}";

    public async Task<IActionResult> OnGetAsync(int datasetId, int? model, CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return NotFound();
        }

        (DatasetId, DatasetName) = (datasetId, name);
        var counts = await db.Embeddings.Where(e => db.Images.Any(i => i.Id == e.ImageId && i.DatasetId == datasetId))
            .GroupBy(e => e.ModelId).Select(g => new { ModelId = g.Key, Count = g.Count() }).ToListAsync(ct);
        var models = await db.EmbeddingModels.AsNoTracking().ToListAsync(ct);
        Models = [.. counts.Join(models, c => c.ModelId, m => m.Id, (c, m) => new ModelChoice(m.Id, m.Label, c.Count)).OrderByDescending(m => m.Vectors).ThenBy(m => m.Id)];
        ModelId = model is { } asked && Models.Any(m => m.Id == asked) ? asked : await maps.NewestModelAsync(datasetId, ct) ?? Models.FirstOrDefault()?.Id;
        if (ModelId is { } id)
        {
            Map = await db.EmbeddingMaps.AsNoTracking().Where(m => m.DatasetId == datasetId && m.ModelId == id)
                .Select(m => new EmbeddingMap { Id = m.Id, DatasetId = m.DatasetId, ModelId = m.ModelId, PointCount = m.PointCount, ComputedAt = m.ComputedAt, JobRunId = m.JobRunId, Timings = m.Timings, Points = Array.Empty<byte>() })
                .FirstOrDefaultAsync(ct);
            ActiveRunId = (await runs.FindActiveAsync(datasetId, id, ct))?.Id;
            VectorsNow = Models.First(m => m.Id == id).Vectors;
        }

        ConfigJson = JsonSerializer.Serialize(new
        {
            datasetId,
            modelId = ModelId,
            hasMap = Map is not null,
            data = ModelId is { } m2 ? $"/api/map/{datasetId}?model={m2}" : null,
            label = $"/api/map/{datasetId}/label",
            // Only admins may poll job progress; others reload the page.
            runId = User.IsInRole(Roles.Admin) ? ActiveRunId : null,
        }, JsonSerializerOptions.Web);
        return Page();
    }

    /// <summary>Queues the map run for the model (or finds the active one) and comes back to the map, which follows it.</summary>
    public async Task<IActionResult> OnPostComputeAsync(int datasetId, int modelId, CancellationToken ct)
    {
        if (!User.IsInRole(Roles.Admin))
        {
            return Forbid();
        }

        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, ct) || !await db.EmbeddingModels.AnyAsync(m => m.Id == modelId, ct))
        {
            return NotFound();
        }

        var run = await runs.StartAsync(datasetId, modelId, User.Identity?.Name, ct);
        TempData["Flash"] = $"Computing the map: job run {run.Id}.";
        return Redirect($"/Datasets/Map/{datasetId}?model={modelId}");
    }
}
