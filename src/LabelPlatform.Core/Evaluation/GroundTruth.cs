using System.Security.Cryptography;
using System.Text;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Evaluation;

/// <summary>A dataset's labels as evaluation sees them, with a hash that changes whenever any label does.</summary>
public sealed record LabelState(IReadOnlyDictionary<long, int> ClassOf, IReadOnlyList<ClassInfo> Classes, string Hash);

/// <summary>
/// The dataset's current ground truth. Today that is the label each image came with (its import folder); the
/// labelling workflow lays consensus and reviewer labels over it, and this is the one place that changes then.
/// </summary>
public sealed class GroundTruthService(IDbContextFactory<PlatformDbContext> contexts)
{
    public async Task<LabelState> CurrentAsync(int datasetId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var classes = await db.ImageClasses.AsNoTracking().Where(c => c.DatasetId == datasetId)
            .OrderBy(c => c.Id).Select(c => new ClassInfo(c.Id, c.Name, c.IsNoise)).ToListAsync(cancellationToken);
        var labels = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId && i.SourceClassId != null)
            .OrderBy(i => i.Id).Select(i => new { i.Id, ClassId = i.SourceClassId!.Value }).ToListAsync(cancellationToken);
        return new LabelState(labels.ToDictionary(l => l.Id, l => l.ClassId), classes, Hash(labels.Select(l => (l.Id, l.ClassId)), classes));
    }

    /// <summary>SHA-256 over "image:class" lines in image order and the class names, hex, first 16 bytes.</summary>
    public static string Hash(IEnumerable<(long ImageId, int ClassId)> labels, IEnumerable<ClassInfo> classes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (image, cls) in labels.OrderBy(l => l.ImageId))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{image}:{cls}\n"));
        }

        foreach (var c in classes.OrderBy(c => c.Id))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"class {c.Id}:{c.Name}:{(c.IsNoise ? 1 : 0)}\n"));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }
}
