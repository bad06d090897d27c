using System.Security.Cryptography;
using System.Text;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Labelling;

public sealed record ClassInfo(int Id, string Name, bool IsNoise);

/// <summary>
/// A dataset's labels as evaluation sees them, with a hash that changes whenever any label does, and where they came
/// from: <see cref="FromConsensus"/> and <see cref="FromReview"/> count the images people decided (a class overrides or
/// adds to the import label); <see cref="Excluded"/> of those were rejected, or called noise without a noise class,
/// and are out.
/// </summary>
public sealed record LabelState(IReadOnlyDictionary<long, int> ClassOf, IReadOnlyList<ClassInfo> Classes, string Hash, int FromConsensus = 0, int FromReview = 0, int Excluded = 0)
{
    /// <summary>Each image's content SHA-256: what splits and rankings order by, so that no row id decides a result.</summary>
    public IReadOnlyDictionary<long, string> ContentOf { get; init; } = new Dictionary<long, string>();

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
        var images = await db.Images.AsNoTracking().Where(i => i.DatasetId == datasetId)
            .Select(i => new { i.Id, i.Sha256, i.SourceClassId }).ToListAsync(cancellationToken);
        var contentOf = images.ToDictionary(i => i.Id, i => i.Sha256);
        var classOf = images.Where(i => i.SourceClassId != null).ToDictionary(i => i.Id, i => i.SourceClassId!.Value);
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

        var names = classes.ToDictionary(c => c.Id, c => c.Name);
        var hash = Hash(classOf.Select(l => (contentOf[l.Key], names.GetValueOrDefault(l.Value, $"#{l.Value}"))), classes);
        return new LabelState(classOf, classes, hash, fromConsensus, fromReview, excluded) { ContentOf = contentOf };
    }

    /// <summary>
    /// SHA-256 over "content:class name" lines in content order and the classes by name, hex, first 16 bytes. Built
    /// from contents and names only, so the same labels give the same hash in any install, whatever the row ids.
    /// </summary>
    public static string Hash(IEnumerable<(string Sha256, string ClassName)> labels, IEnumerable<ClassInfo> classes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (content, name) in labels.OrderBy(l => l.Sha256, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{content}:{name}\n"));
        }

        foreach (var c in classes.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"class {c.Name}:{(c.IsNoise ? 1 : 0)}\n"));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset())[..32];
    }
}
