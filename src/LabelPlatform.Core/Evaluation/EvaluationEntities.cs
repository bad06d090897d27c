namespace LabelPlatform.Core.Evaluation;

public static class SplitProtocols
{
    /// <summary>The seed article's protocol: per class 20 random evaluation images, 5 queries and 15 candidates; the rest training.</summary>
    public const string Article = "article";

    /// <summary>Every labelled image is a query against all the others.</summary>
    public const string LeaveOneOut = "leave-one-out";

    /// <summary>A seeded half of the classes (20+ images each) is held out entirely for evaluation; the other classes train.</summary>
    public const string ClassDisjoint = "class-disjoint";

    public static readonly string[] All = [Article, LeaveOneOut, ClassDisjoint];

    /// <summary>Protocols whose draw depends on a seed.</summary>
    public static bool IsSeeded(string protocol) => protocol is Article or ClassDisjoint;
}

/// <summary>What an image is for in a split.</summary>
public enum SplitRole
{
    Training = 0,
    Query = 1,
    Candidate = 2,

    /// <summary>Leave-one-out: a query against the others and a candidate for them.</summary>
    QueryAndCandidate = 3,
}

/// <summary>
/// A named, frozen division of a dataset's images into queries, candidates and training images, made once by a
/// protocol with a seed and stored image by image, so every run on it is comparable with every other.
/// </summary>
public class EvaluationSplit
{
    public int Id { get; set; }
    public int DatasetId { get; set; }
    public required string Name { get; set; }
    public required string Protocol { get; set; }
    public int Seed { get; set; }
    public int QueriesPerClass { get; set; }
    public int CandidatesPerClass { get; set; }
    public int Queries { get; set; }
    public int Candidates { get; set; }
    public int Training { get; set; }

    /// <summary>Hash of the ground truth the split was drawn from.</summary>
    public required string LabelStateHash { get; set; }

    /// <summary>Classes skipped for too few images, and the like; one per line.</summary>
    public string? Warnings { get; set; }
    public string? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One image's role in a split, with the class it had when the split was drawn.</summary>
public class SplitImage
{
    public int SplitId { get; set; }
    public long ImageId { get; set; }
    public int ClassId { get; set; }
    public SplitRole Role { get; set; }
}

public static class EvaluationMethods
{
    /// <summary>Candidates ranked by cosine similarity of a model's embeddings.</summary>
    public const string Model = "model";

    /// <summary>Candidates in a seeded random order (the article's first baseline).</summary>
    public const string Random = "random";
}

/// <summary>
/// One evaluation of a split by a model (or the random baseline). The full report (per query, per class, error
/// analysis) is stored compressed; the headline figures are columns so lists can sort and compare them.
/// </summary>
public class EvaluationRun
{
    public long Id { get; set; }
    public int DatasetId { get; set; }
    public int SplitId { get; set; }
    public required string Method { get; set; }
    public int? ModelId { get; set; }

    /// <summary>What the run ranked with, for people: "mobilenetv2 v1" or "random".</summary>
    public required string Label { get; set; }

    /// <summary>Seed of the random baseline and of the bootstrap.</summary>
    public int Seed { get; set; }

    /// <summary>Cut-offs, comma separated ("1,5,10,20").</summary>
    public required string KValues { get; set; }

    /// <summary>The cut-off the headline figures and the error analysis use.</summary>
    public int MainK { get; set; }

    public long? JobRunId { get; set; }
    public string? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    public int Queries { get; set; }
    public int Candidates { get; set; }
    public double? PrecisionAtK { get; set; }
    public double? AveragePrecisionAtK { get; set; }
    public double? AveragePrecisionAtKNotebook { get; set; }
    public double? MeanAveragePrecision { get; set; }
    public double? Seconds { get; set; }
    public string? LabelStateHash { get; set; }

    /// <summary>The run's manifest (dataset, labels, split, model, K values, method) as JSON.</summary>
    public string ManifestJson { get; set; } = "{}";

    /// <summary>The <see cref="EvaluationReport"/> as gzip-compressed JSON; null until the run has finished.</summary>
    public byte[]? ReportGzip { get; set; }

    public IReadOnlyList<int> Ks => [.. KValues.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
}
