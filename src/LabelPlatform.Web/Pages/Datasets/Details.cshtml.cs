using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Labelling;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Web.Pages.Datasets;

public class DetailsModel(PlatformDbContext db, ModelRegistry registry, DatasetService datasets, IOptions<EmbeddingOptions> embeddingOptions) : PageModel
{
    public const int PageSize = 60;
    private const int RejectedShown = 200;

    public sealed record ClassRow(int Id, string Name, bool IsNoise, int Images);

    public sealed record Thumbnail(long Id, string? ClassName, string Origin);

    /// <summary>How many of the dataset's images have a vector under one model version; ActiveRunId: an embed run queued or running for it.</summary>
    public sealed record EmbeddingRow(int ModelId, string Name, int Version, int Dimension, bool IsLatest, bool IsDefault, int Embedded, long? ActiveRunId)
    {
        /// <summary>"int8" or "float" for a quantized model's two paths; null for a model with one.</summary>
        public string? Path { get; init; }
    }

    public const int ConflictsShown = 50;

    public Dataset Dataset { get; private set; } = null!;
    public List<ClassRow> Classes { get; private set; } = [];
    public List<Thumbnail> Thumbnails { get; private set; } = [];
    public List<RejectedFile> Rejected { get; private set; } = [];
    public List<EmbeddingRow> Embeddings { get; private set; } = [];
    public int TotalImages { get; private set; }
    public int Unlabelled { get; private set; }
    public int FilteredCount { get; private set; }
    public int RejectedCount { get; private set; }
    public int DuplicateCount { get; private set; }
    public int ConflictCount { get; private set; }
    public List<LabelConflict> Conflicts { get; private set; } = [];
    public Dictionary<int, string> ClassNames { get; private set; } = [];
    public int PageNumber { get; private set; }
    public int PageCount { get; private set; }
    public int? ClassId { get; private set; }
    public string? ClassName { get; private set; }

    /// <summary>Human labels per class: a reviewer's final label, else the labellers' consensus.</summary>
    public Dictionary<int, int> HumanLabels { get; private set; } = [];
    public int FinalCount { get; private set; }
    public int ConsensusCount { get; private set; }

    // [FromQuery]: Razor Pages' own 'page' route value (the page path) would otherwise shadow ?page=N.
    public async Task<IActionResult> OnGetAsync(int id, int? classId, [FromQuery(Name = "page")] int page = 1, CancellationToken ct = default)
    {
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, ct);
        if (dataset is null)
        {
            return NotFound();
        }

        Dataset = dataset;
        var counts = await db.Images.Where(i => i.DatasetId == id).GroupBy(i => i.SourceClassId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        Classes = (await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == id).OrderBy(c => c.Name).ToListAsync(ct))
            .Select(c => new ClassRow(c.Id, c.Name, c.IsNoise, counts.FirstOrDefault(x => x.Key == c.Id)?.Count ?? 0)).ToList();
        TotalImages = counts.Sum(c => c.Count);
        Unlabelled = counts.FirstOrDefault(c => c.Key is null)?.Count ?? 0;

        if (classId is not null && Classes.All(c => c.Id != classId))
        {
            return NotFound();
        }

        ClassId = classId;
        ClassName = Classes.FirstOrDefault(c => c.Id == classId)?.Name;
        var images = db.Images.AsNoTracking().Where(i => i.DatasetId == id);
        if (classId is not null)
        {
            images = images.Where(i => i.SourceClassId == classId);
        }

        FilteredCount = classId is null ? TotalImages : Classes.First(c => c.Id == classId).Images;
        PageCount = Math.Max(1, (FilteredCount + PageSize - 1) / PageSize);
        PageNumber = Math.Clamp(page, 1, PageCount);
        Thumbnails = await images.OrderBy(i => i.Id).Skip((PageNumber - 1) * PageSize).Take(PageSize)
            .Select(i => new Thumbnail(i.Id, i.SourceClass != null ? i.SourceClass.Name : null, i.Origin)).ToListAsync(ct);

        Embeddings = await LoadEmbeddingsAsync(id, ct);
        RejectedCount = await db.RejectedFiles.CountAsync(r => r.DatasetId == id, ct);
        Rejected = await db.RejectedFiles.AsNoTracking().Where(r => r.DatasetId == id).OrderByDescending(r => r.Id).Take(RejectedShown).ToListAsync(ct);
        (DuplicateCount, ConflictCount) = await datasets.DuplicateCountsAsync(id, ct);
        Conflicts = ConflictCount == 0 ? [] : await datasets.LabelConflictsAsync(id, ConflictsShown, ct);
        ClassNames = Classes.ToDictionary(c => c.Id, c => c.Name);
        var decided = (await LabelBoard.LoadAsync(db, id, ct)).Images.Values.Where(i => i.Decided is not null).ToList();
        (FinalCount, ConsensusCount) = (decided.Count(i => i.Final is not null), decided.Count(i => i.Final is null));
        HumanLabels = decided.Where(i => i.Decided is { ClassId: not null, Rejected: false }).GroupBy(i => i.Decided!.Value.ClassId!.Value).ToDictionary(g => g.Key, g => g.Count());
        return Page();
    }

    /// <summary>Every model version with vectors in this dataset, plus the latest version of each registered model (with 0).</summary>
    private async Task<List<EmbeddingRow>> LoadEmbeddingsAsync(int datasetId, CancellationToken ct)
    {
        var counts = await (from e in db.Embeddings
                            join i in db.Images on e.ImageId equals i.Id
                            where i.DatasetId == datasetId
                            group e by e.ModelId into g
                            select new { ModelId = g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.ModelId, x => x.Count, ct);
        var latest = (await registry.ListLatestAsync(ct)).Select(m => m.Id).ToHashSet();
        var ids = counts.Keys.Union(latest).ToList();
        var models = await db.EmbeddingModels.AsNoTracking().Where(m => ids.Contains(m.Id)).ToListAsync(ct);

        var active = new Dictionary<int, long>();
        var runs = await db.JobRuns.AsNoTracking()
            .Where(j => j.Kind == JobKinds.Embed && j.DatasetId == datasetId && (j.State == JobState.Queued || j.State == JobState.Running))
            .OrderBy(j => j.Id).ToListAsync(ct);
        foreach (var run in runs)
        {
            active.TryAdd(JobRunService.ReadParameters<EmbedParameters>(run).ModelId, run.Id);
        }

        var defaultModel = embeddingOptions.Value.DefaultModel;
        return [.. models
            .Select(m => new EmbeddingRow(m.Id, m.Name, m.Version, m.Dimension, latest.Contains(m.Id), latest.Contains(m.Id) && m.Name == defaultModel, counts.GetValueOrDefault(m.Id),
                active.TryGetValue(m.Id, out var runId) ? runId : null)
            {
                Path = m.ExecutionPath == ExecutionPaths.Int8 || m.VariantOfId is not null ? m.ExecutionPath : null,
            })
            .OrderByDescending(r => r.IsDefault).ThenBy(r => r.Name, StringComparer.Ordinal).ThenByDescending(r => r.Version)];
    }
}
