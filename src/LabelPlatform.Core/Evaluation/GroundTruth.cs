using System.Security.Cryptography;
using System.Text;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Labelling;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Evaluation;

/// <summary>
/// A dataset's labels as evaluation sees them, with a hash that changes whenever any label does, and where they came
/// from: <see cref="FromConsensus"/> and <see cref="FromReview"/> count the images people decided (a class overrides or
/// adds to the import label); <see cref="Excluded"/> of those were rejected, or called noise without a noise class,
/// and are out.
/// </summary>
public sealed record LabelState(IReadOnlyDictionary<long, int> ClassOf, IReadOnlyList<ClassInfo> Classes, string Hash, int FromConsensus = 0, int FromReview = 0, int Excluded = 0)
{
    public string Source => FromConsensus + FromReview + Excluded == 0
        ? "import labels (folder names)"
        : $"import labels overlaid with {FromConsensus} consensus and {FromReview} reviewer decisions ({Excluded} images taken out)";
}

/// <summary>
/// The dataset's current ground truth: the label each image came with (its import folder), unless people decided
/// otherwise: a reviewer's final label wins, else the labellers' consensus (majority once the overlap is met). A
/// decision of "rejected (bad image)", or noise in a dataset without a noise class, takes the image out.
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
        var classOf = labels.ToDictionary(l => l.Id, l => l.ClassId);
        var board = await LabelBoard.LoadAsync(db, datasetId, cancellationToken);
        int fromConsensus = 0, fromReview = 0, excluded = 0;
        foreach (var image in board.Images.Values)
        {
            if (image.Decided is not { } decided)
            {
                continue;
            }

            if (image.Final is not null)
            {
                fromReview++;
            }
            else
            {
                fromConsensus++;
            }

            if (decided.ClassId is { } c && !decided.Rejected)
            {
                classOf[image.ImageId] = c;
            }
            else
            {
                excluded += classOf.Remove(image.ImageId) ? 1 : 0;
            }
        }

        return new LabelState(classOf, classes, Hash(classOf.Select(l => (l.Key, l.Value)), classes), fromConsensus, fromReview, excluded);
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
