using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Core.Deletion;

/// <summary>
/// What deleting a model version does, counted first: the versions removed (it, and the float variant derived from a
/// quantized one), their vectors and maps, datasets whose labelling hints used it (they fall back to none), finished
/// evaluation runs kept as a record (marked: the model was deleted), and whether its ONNX file leaves the store.
/// </summary>
public sealed record ModelDeletionPlan(int ModelId, string Label, IReadOnlyList<string> Versions, int Embeddings, int Maps, int DatasetsUsingIt,
    int EvaluationsKept, int EvaluationsRemoved, int FilesRemoved, string? Refusal);

/// <summary>
/// Deletes a model version (with its float variant) in one transaction, then its file when no other version has the
/// same bytes. Finished evaluation runs keep their reports; their model id is cleared by its foreign key
/// (<see cref="EvaluationMethods.Model"/> with no model id reads "model deleted"), and the label names the model.
/// Refused while a job that uses it runs.
/// </summary>
public sealed class ModelDeletion(IDbContextFactory<PlatformDbContext> contexts, IOptions<StorageOptions> storage, OnnxEmbedder embedder, SearchService search)
{
    public async Task<ModelDeletionPlan?> PlanAsync(int modelId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var models = await db.EmbeddingModels.AsNoTracking().Where(m => m.Id == modelId || m.VariantOfId == modelId).ToListAsync(cancellationToken);
        if (models.All(m => m.Id != modelId))
        {
            return null;
        }

        var ids = models.Select(m => m.Id).ToList();
        var shas = models.Select(m => m.Sha256).Distinct().ToList();
        var sharedFiles = await db.EmbeddingModels.Where(m => !ids.Contains(m.Id) && shas.Contains(m.Sha256)).Select(m => m.Sha256).Distinct().CountAsync(cancellationToken);
        var runs = db.EvaluationRuns.Where(r => r.ModelId != null && ids.Contains(r.ModelId.Value));
        return new ModelDeletionPlan(modelId, models.First(m => m.Id == modelId).Label, [.. models.Select(m => m.Label)],
            Embeddings: await db.Embeddings.CountAsync(e => ids.Contains(e.ModelId), cancellationToken),
            Maps: await db.EmbeddingMaps.CountAsync(m => ids.Contains(m.ModelId), cancellationToken),
            DatasetsUsingIt: await db.LabellingSettings.CountAsync(s => s.ModelId != null && ids.Contains(s.ModelId.Value), cancellationToken),
            EvaluationsKept: await runs.CountAsync(r => r.ReportGzip != null, cancellationToken),
            EvaluationsRemoved: await runs.CountAsync(r => r.ReportGzip == null, cancellationToken),
            FilesRemoved: shas.Count - sharedFiles,
            Refusal: await RefusalAsync(db, ids, cancellationToken));
    }

    /// <exception cref="DeletionRefusedException">A job using the model is running.</exception>
    public async Task<ModelDeletionPlan?> DeleteAsync(int modelId, CancellationToken cancellationToken = default)
    {
        var plan = await PlanAsync(modelId, cancellationToken);
        if (plan is null)
        {
            return null;
        }

        if (plan.Refusal is { } refusal)
        {
            throw new DeletionRefusedException(refusal);
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var models = await db.EmbeddingModels.AsNoTracking().Where(m => m.Id == modelId || m.VariantOfId == modelId).Select(m => new { m.Id, m.Sha256 }).ToListAsync(cancellationToken);
        var ids = models.Select(m => m.Id).ToList();
        await using (var tx = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (await RefusalAsync(db, ids, cancellationToken) is { } late)
            {
                throw new DeletionRefusedException(late);
            }

            await db.Embeddings.Where(e => ids.Contains(e.ModelId)).ExecuteDeleteAsync(cancellationToken);
            await db.EmbeddingMaps.Where(m => ids.Contains(m.ModelId)).ExecuteDeleteAsync(cancellationToken);
            await db.LabellingSettings.Where(s => s.ModelId != null && ids.Contains(s.ModelId.Value))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ModelId, (int?)null), cancellationToken);
            await db.EvaluationRuns.Where(r => r.ModelId != null && ids.Contains(r.ModelId.Value) && r.ReportGzip == null).ExecuteDeleteAsync(cancellationToken);
            await db.EvaluationRuns.Where(r => r.ModelId != null && ids.Contains(r.ModelId.Value))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.ModelId, (int?)null), cancellationToken);
            await db.EmbeddingModels.Where(m => ids.Contains(m.Id)).ExecuteDeleteAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }

        foreach (var id in ids)
        {
            embedder.Evict(id);
            search.Forget(null, id);
        }

        var shas = models.Select(m => m.Sha256).Distinct().ToList();
        var stillUsed = await db.EmbeddingModels.Where(m => shas.Contains(m.Sha256)).Select(m => m.Sha256).ToListAsync(cancellationToken);
        foreach (var sha in shas.Except(stillUsed))
        {
            var path = OnnxEmbedder.ModelPath(storage.Value, sha);
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }

        return plan;
    }

    /// <summary>A running job whose parameters name one of the versions (embed, map, train) or whose evaluation run uses one.</summary>
    private static async Task<string?> RefusalAsync(PlatformDbContext db, List<int> ids, CancellationToken cancellationToken)
    {
        var running = await db.JobRuns.AsNoTracking().Where(j => j.State == JobState.Running).Select(j => new { j.Id, j.Kind, j.ParametersJson }).ToListAsync(cancellationToken);
        var evaluating = await db.EvaluationRuns.AsNoTracking().Where(r => r.ModelId != null && ids.Contains(r.ModelId.Value) && r.JobRunId != null)
            .Select(r => r.JobRunId!.Value).ToListAsync(cancellationToken);
        var job = running.FirstOrDefault(j => evaluating.Contains(j.Id) || NamedModels(j.ParametersJson).Any(ids.Contains));
        return job is null ? null : $"Job run {job.Id} ({job.Kind}) uses this model and is running: cancel it or let it finish first (Admin › Jobs).";
    }

    private static IEnumerable<int> NamedModels(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind != JsonValueKind.Object ? [] : [.. doc.RootElement.EnumerateObject()
                .Where(p => p.Name.EndsWith("modelId", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out _))
                .Select(p => p.Value.GetInt32())];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
