using LabelPlatform.Core.Labelling;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LabelPlatform.Core.Evaluation;

/// <summary>Means over the evaluated queries (those with at least one relevant candidate).</summary>
public sealed record AggregateMetrics(IReadOnlyList<MetricsAtK> AtK, double MeanAveragePrecision, double MeanReciprocalRank)
{
    public MetricsAtK At(int k) => AtK.First(m => m.K == k);
}

public sealed record ClassMetrics(int ClassId, string Name, bool IsNoise, int Queries, AggregateMetrics Metrics);

/// <summary>Means over the evaluated queries that came from one source: a crawled site's host, or imported images.</summary>
public sealed record SourceMetrics(string Source, int Queries, AggregateMetrics Metrics);

/// <summary>A 95% bootstrap interval of a headline figure (percentile method, resampling queries).</summary>
public sealed record Interval(string Metric, double Value, double Low, double High);

/// <summary>One ranked result: its class, score, and whether it looks like an exact copy of the query.</summary>
public sealed record Hit(long ImageId, int ClassId, float Score, bool Duplicate = false);

public sealed record QueryResult(long ImageId, int ClassId, int Relevant, IReadOnlyList<MetricsAtK> AtK, double AveragePrecision, double ReciprocalRank, IReadOnlyList<Hit> Top)
{
    public MetricsAtK At(int k) => AtK.First(m => m.K == k);
}

/// <summary>Top-K confusion: Counts[i][j] = top-K slots of class-i queries taken by class-j results (classes in report order).</summary>
public sealed record ConfusionMatrix(int K, IReadOnlyList<int> ClassIds, IReadOnlyList<int[]> Counts);

/// <summary>An image that turns up in many wrong-class top-K lists.</summary>
public sealed record HubImage(long ImageId, int ClassId, int WrongClassAppearances, int Appearances);

public sealed record ConfusedPair(int QueryClassId, int ResultClassId, int Slots, double Share);

/// <summary>Everything an evaluation run found; stored with the run and rendered by the report pages.</summary>
public sealed record EvaluationReport
{
    public required IReadOnlyList<int> Ks { get; init; }
    public required int MainK { get; init; }
    public required string Method { get; init; }
    public required int Queries { get; init; }
    public required int Candidates { get; init; }

    /// <summary>Queries with no relevant candidate: listed, but left out of every mean.</summary>
    public int QueriesWithoutRelevant { get; init; }

    /// <summary>Results scoring ≥ <see cref="Evaluator.DuplicateScore"/> against their query: flagged as likely copies.</summary>
    public int DuplicatesFlagged { get; init; }

    public required IReadOnlyList<ClassInfo> Classes { get; init; }
    public required AggregateMetrics Overall { get; init; }
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    public required IReadOnlyList<Interval> Intervals { get; init; }

    /// <summary>Mean 11-point interpolated precision at recall 0, 0.1, …, 1 (full rankings).</summary>
    public required IReadOnlyList<double> PrecisionRecall { get; init; }

    public required ConfusionMatrix Confusion { get; init; }
    public int? NoiseClassId { get; init; }

    /// <summary>Share of the top-K slots of non-noise queries taken by the noise class.</summary>
    public double? NoiseIntrusion { get; init; }

    public required IReadOnlyList<ConfusedPair> MostConfused { get; init; }
    public required IReadOnlyList<HubImage> Hubs { get; init; }

    /// <summary>The lowest-AP@K queries, worst first.</summary>
    public required IReadOnlyList<long> WorstQueries { get; init; }

    public required IReadOnlyList<QueryResult> QueryResults { get; init; }

    public string ClassName(int id) => Classes.FirstOrDefault(c => c.Id == id)?.Name ?? $"class {id}";

    /// <summary>Query → result pairs behind one confusion cell, in query order.</summary>
    public IEnumerable<(QueryResult Query, Hit Hit, int Rank)> Pairs(int queryClassId, int resultClassId) =>
        QueryResults.Where(q => q.ClassId == queryClassId)
            .SelectMany(q => q.Top.Take(Confusion.K).Select((h, i) => (Query: q, Hit: h, Rank: i + 1)))
            .Where(x => x.Hit.ClassId == resultClassId);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public byte[] ToGzip()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            JsonSerializer.Serialize(gzip, this, Json);
        }

        return buffer.ToArray();
    }

    public static EvaluationReport FromGzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        return JsonSerializer.Deserialize<EvaluationReport>(gzip, Json) ?? throw new InvalidDataException("empty evaluation report");
    }

    private static readonly JsonSerializerOptions IndentedJson = new(Json) { WriteIndented = true };

    public string ToJson(bool indented = false) => JsonSerializer.Serialize(this, indented ? IndentedJson : Json);
}
