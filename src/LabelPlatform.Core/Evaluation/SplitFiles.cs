using LabelPlatform.Core.Labelling;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Evaluation;

/// <summary>One image of an exported split: named by content, so another install finds it whatever its row id.</summary>
public sealed record SplitFileImage(string Sha256, string Class, string Role);

/// <summary>A split as a portable file: JSON with the protocol and, per image, its SHA-256, class name and role.</summary>
public sealed record SplitFile
{
    public const string CurrentFormat = "labelplatform-split/1";

    public string Format { get; init; } = CurrentFormat;
    public required string Dataset { get; init; }
    public required string Name { get; init; }
    public required string Protocol { get; init; }
    public int Seed { get; init; }
    public int QueriesPerClass { get; init; }
    public int CandidatesPerClass { get; init; }

    /// <summary>Per role, SHA-256 over the sorted SHA-256s of its images: equal digests, equal membership.</summary>
    public IReadOnlyDictionary<string, string> Digests { get; init; } = new Dictionary<string, string>();
    public required IReadOnlyList<SplitFileImage> Images { get; init; }
}

/// <summary>
/// Exports a split to a <see cref="SplitFile"/> and imports one into another install, so two teams evaluate on
/// exactly the same images; and digests a split's membership per role for manifests.
/// </summary>
public sealed class SplitFiles(IDbContextFactory<PlatformDbContext> contexts, GroundTruthService groundTruth, TimeProvider clock)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Role names in files, the same words the reports use.</summary>
    public static string RoleName(SplitRole role) => role switch
    {
        SplitRole.Query => "query",
        SplitRole.Candidate => "candidate",
        SplitRole.QueryAndCandidate => "query-and-candidate",
        _ => "training",
    };

    private static SplitRole? ParseRole(string? role) => role switch
    {
        "query" => SplitRole.Query,
        "candidate" => SplitRole.Candidate,
        "query-and-candidate" => SplitRole.QueryAndCandidate,
        "training" => SplitRole.Training,
        _ => null,
    };

    /// <summary>SHA-256 (hex) per role over the role's image contents in sorted order, one per line.</summary>
    public static Dictionary<string, string> Digests(IEnumerable<(string Sha256, SplitRole Role)> images) =>
        images.GroupBy(i => RoleName(i.Role)).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g =>
        {
            var text = string.Concat(g.Select(i => i.Sha256).Order(StringComparer.Ordinal).Select(s => s + "\n"));
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(text)));
        });

    public static async Task<Dictionary<string, string>> DigestsAsync(PlatformDbContext db, int splitId, CancellationToken cancellationToken)
    {
        var rows = await db.SplitImages.AsNoTracking().Where(s => s.SplitId == splitId)
            .Join(db.Images, s => s.ImageId, i => i.Id, (s, i) => new { i.Sha256, s.Role }).ToListAsync(cancellationToken);
        return Digests(rows.Select(r => (r.Sha256, r.Role)));
    }

    public async Task<SplitFile> ExportAsync(int splitId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var split = await db.EvaluationSplits.AsNoTracking().FirstOrDefaultAsync(s => s.Id == splitId, cancellationToken)
            ?? throw new EvaluationException($"split {splitId} does not exist");
        var dataset = await db.Datasets.Where(d => d.Id == split.DatasetId).Select(d => d.Name).FirstAsync(cancellationToken);
        var rows = await db.SplitImages.AsNoTracking().Where(s => s.SplitId == splitId)
            .Join(db.Images, s => s.ImageId, i => i.Id, (s, i) => new { i.Sha256, s.Role, s.ClassId })
            .Join(db.ImageClasses, x => x.ClassId, c => c.Id, (x, c) => new { x.Sha256, x.Role, Class = c.Name })
            .ToListAsync(cancellationToken);
        return new SplitFile
        {
            Dataset = dataset,
            Name = split.Name,
            Protocol = split.Protocol,
            Seed = split.Seed,
            QueriesPerClass = split.QueriesPerClass,
            CandidatesPerClass = split.CandidatesPerClass,
            Digests = Digests(rows.Select(r => (r.Sha256, r.Role))),
            Images = [.. rows.OrderBy(r => r.Sha256, StringComparer.Ordinal).Select(r => new SplitFileImage(r.Sha256, r.Class, RoleName(r.Role)))],
        };
    }

    /// <summary>Reads a split file; refuses anything that is not one, with the reason.</summary>
    public static SplitFile Parse(string json)
    {
        SplitFile? file;
        try
        {
            file = JsonSerializer.Deserialize<SplitFile>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new EvaluationException($"not a split file: {ex.Message}");
        }

        if (file is null || file.Format != SplitFile.CurrentFormat || file.Images is null)
        {
            throw new EvaluationException($"not a split file of format {SplitFile.CurrentFormat}");
        }

        return file;
    }

    /// <summary>
    /// Stores the file's split in <paramref name="datasetId"/>: every image must be there (matched by SHA-256) and
    /// every class exist by name, or nothing is stored and the first missing ones are named.
    /// </summary>
    public async Task<EvaluationSplit> ImportAsync(int datasetId, SplitFile file, string? name, string? createdBy, CancellationToken cancellationToken = default)
    {
        name = string.IsNullOrWhiteSpace(name) ? file.Name : name.Trim();
        if (!Datasets.DatasetService.IsValidName(name))
        {
            throw new EvaluationException($"'{name}' is not a valid split name: use 1-100 letters, digits, '-', '_' or '.'");
        }

        if (!SplitProtocols.All.Contains(file.Protocol))
        {
            throw new EvaluationException($"the file's protocol '{file.Protocol}' is not one of {string.Join(", ", SplitProtocols.All)}");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (await db.EvaluationSplits.AnyAsync(s => s.DatasetId == datasetId && s.Name == name, cancellationToken))
        {
            throw new EvaluationException($"the dataset already has a split named '{name}'; import it under another name");
        }

        var imageOf = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId).ToDictionaryAsync(i => i.Sha256, i => i.Id, StringComparer.Ordinal, cancellationToken);
        var classOf = await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId).ToDictionaryAsync(c => c.Name, c => c.Id, StringComparer.Ordinal, cancellationToken);
        var problems = new List<string>();
        var rows = new List<SplitImage>(file.Images.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in file.Images)
        {
            var role = ParseRole(image.Role);
            if (role is null || image.Sha256 is null || !seen.Add(image.Sha256))
            {
                problems.Add($"entry {image.Sha256 ?? "(no sha256)"} has {(role is null ? $"the unknown role '{image.Role}'" : "no or a repeated sha256")}");
            }
            else if (!imageOf.TryGetValue(image.Sha256, out var imageId))
            {
                problems.Add($"image {image.Sha256} is not in this dataset");
            }
            else if (!classOf.TryGetValue(image.Class ?? "", out var classId))
            {
                problems.Add($"class '{image.Class}' is not in this dataset");
            }
            else
            {
                rows.Add(new SplitImage { ImageId = imageId, ClassId = classId, Role = role.Value });
            }
        }

        if (problems.Count > 0)
        {
            throw new EvaluationException($"the split file does not fit this dataset ({problems.Count} of {file.Images.Count} entries): {string.Join("; ", problems.Distinct().Take(5))}");
        }

        var split = new EvaluationSplit
        {
            DatasetId = datasetId,
            Name = name,
            Protocol = file.Protocol,
            Seed = file.Seed,
            QueriesPerClass = file.QueriesPerClass,
            CandidatesPerClass = file.CandidatesPerClass,
            Queries = rows.Count(r => r.Role is SplitRole.Query or SplitRole.QueryAndCandidate),
            Candidates = rows.Count(r => r.Role is SplitRole.Candidate or SplitRole.QueryAndCandidate),
            Training = rows.Count(r => r.Role == SplitRole.Training),
            LabelStateHash = (await groundTruth.CurrentAsync(datasetId, cancellationToken)).Hash,
            Warnings = $"imported from a split file of dataset '{file.Dataset}' ({file.Images.Count} images)",
            CreatedBy = createdBy,
            CreatedAt = clock.GetUtcNow(),
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.EvaluationSplits.Add(split);
        await db.SaveChangesAsync(cancellationToken);
        rows.ForEach(r => r.SplitId = split.Id);
        db.SplitImages.AddRange(rows);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return split;
    }
}
