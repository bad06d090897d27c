using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Label;

/// <summary>What the labelling pages' script needs: the dataset, its classes (noise class last) and the overlap.</summary>
public sealed record Workbench(int DatasetId, string DatasetName, int Overlap, bool HasNoiseClass, string ConfigJson, int ClassCount)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<Workbench?> LoadAsync(PlatformDbContext db, LabellingSettingsService labellingSettings, int datasetId, string mode, int count, long? seed, CancellationToken ct)
    {
        var name = await db.Datasets.Where(d => d.Id == datasetId).Select(d => d.Name).FirstOrDefaultAsync(ct);
        if (name is null)
        {
            return null;
        }

        var classes = await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId)
            .OrderBy(c => c.IsNoise).ThenBy(c => c.Name).Select(c => new { id = c.Id, name = c.Name, noise = c.IsNoise, hotkey = c.Hotkey }).ToListAsync(ct);
        var settings = await labellingSettings.GetSettingsAsync(datasetId, ct);
        var config = JsonSerializer.Serialize(new { datasetId, dataset = name, mode, count, seed, classes }, Json);
        return new Workbench(datasetId, name, settings.Overlap, classes.Any(c => c.noise), config, classes.Count);
    }
}
