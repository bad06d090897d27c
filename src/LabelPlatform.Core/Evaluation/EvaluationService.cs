using LabelPlatform.Core.Labelling;
using System.Diagnostics;
using System.Text.Json;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace LabelPlatform.Core.Evaluation;

/// <summary>Bad input to an evaluation (unknown split, missing embeddings, wrong K): the run fails with this message.</summary>
public sealed class EvaluationException(string message) : Exception(message);

public sealed record EvaluateParameters(long EvaluationRunId);

public sealed record EvaluationRequest
{
    public required int DatasetId { get; init; }
    public required int SplitId { get; init; }

    /// <summary>Null for the random baseline.</summary>
    public int? ModelId { get; init; }
    public IReadOnlyList<int> Ks { get; init; } = [1, 5, 10, 20];
    public int MainK { get; init; } = 10;
    public int Seed { get; init; } = 2021;
    public string? StartedBy { get; init; }
}

public sealed record EvaluationSummary(long EvaluationRunId, long JobRunId, string Dataset, string Split, string Label, EvaluationReport Report, double Seconds)
{
    /// <summary>The run's manifest (JSON): labels, split and its digests, model and its execution path, machine.</summary>
    public string ManifestJson { get; init; } = "{}";

    public string Describe()
    {
        var m = Report.Overall.At(Report.MainK);
        return $"{Report.Queries} queries x {Report.Candidates} candidates: P@{Report.MainK} {m.Precision:0.0000}, AP@{Report.MainK} {m.AveragePrecision:0.0000} (notebook {m.AveragePrecisionNotebook:0.0000}), mAP {Report.Overall.MeanAveragePrecision:0.0000}";
    }
}

/// <summary>Splits, evaluation runs and their stored reports.</summary>
public sealed class EvaluationService(
    IDbContextFactory<PlatformDbContext> contexts,
    GroundTruthService groundTruth,
    JobRunService runs,
    InferenceHardware hardware,
    TimeProvider clock,
    IMemoryCache cache)
{
    public const int DefaultSeed = 2021;

    /// <summary>The name a protocol's split gets when none is given: "article-seed2021", "class-disjoint-seed2021", "leave-one-out".</summary>
    public static string DefaultSplitName(string protocol, int seed) => SplitProtocols.IsSeeded(protocol) ? $"{protocol}-seed{seed}" : protocol;

    /// <summary>Draws and stores a split, or returns the one of that name when it was drawn the same way.</summary>
    public async Task<EvaluationSplit> GetOrCreateSplitAsync(int datasetId, string? name, string protocol, int seed, string? createdBy,
        int queriesPerClass = 5, int candidatesPerClass = 15, CancellationToken cancellationToken = default)
    {
        if (!SplitProtocols.All.Contains(protocol))
        {
            throw new EvaluationException($"unknown protocol '{protocol}' (use {string.Join(" or ", SplitProtocols.All)})");
        }

        if (queriesPerClass is < 1 or > 1000 || candidatesPerClass is < 1 or > 10000)
        {
            throw new EvaluationException("queries per class must be 1-1000 and candidates per class 1-10000");
        }

        name = string.IsNullOrWhiteSpace(name) ? DefaultSplitName(protocol, seed) : name.Trim();
        if (!Datasets.DatasetService.IsValidName(name))
        {
            throw new EvaluationException($"'{name}' is not a valid split name: use 1-100 letters, digits, '-', '_' or '.'");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Datasets.AnyAsync(d => d.Id == datasetId, cancellationToken))
        {
            throw new EvaluationException($"dataset {datasetId} does not exist");
        }

        var existing = await db.EvaluationSplits.AsNoTracking().FirstOrDefaultAsync(s => s.DatasetId == datasetId && s.Name == name, cancellationToken);
        if (existing is not null)
        {
            var same = existing.Protocol == protocol && protocol switch
            {
                SplitProtocols.LeaveOneOut => true,
                SplitProtocols.ClassDisjoint => existing.Seed == seed,
                _ => existing.Seed == seed && existing.QueriesPerClass == queriesPerClass && existing.CandidatesPerClass == candidatesPerClass,
            };
            return same ? existing : throw new EvaluationException($"split '{name}' already exists and was drawn differently ({existing.Protocol}, seed {existing.Seed}); choose another name");
        }

        var labels = await groundTruth.CurrentAsync(datasetId, cancellationToken);
        if (labels.ClassOf.Count == 0)
        {
            throw new EvaluationException("the dataset has no labelled images to split");
        }

        var names = labels.Classes.ToDictionary(c => c.Id, c => c.Name);
        var inputs = labels.ClassOf.Select(kv => new SplitInput(kv.Key, kv.Value, labels.ContentOf[kv.Key]));
        var plan = protocol switch
        {
            SplitProtocols.Article => SplitMaker.Article(inputs, names, seed, queriesPerClass, candidatesPerClass),
            SplitProtocols.ClassDisjoint => SplitMaker.ClassDisjoint(inputs, names, seed),
            _ => SplitMaker.LeaveOneOut(inputs, names),
        };
        if (plan.Count(SplitRole.Query) == 0)
        {
            throw new EvaluationException(protocol == SplitProtocols.ClassDisjoint
                ? "fewer than two classes have the 20 images the class-disjoint protocol needs to hold one out"
                : $"no class has the {queriesPerClass + candidatesPerClass} images the protocol needs");
        }

        var split = new EvaluationSplit
        {
            DatasetId = datasetId,
            Name = name,
            Protocol = protocol,
            Seed = SplitProtocols.IsSeeded(protocol) ? seed : 0,
            QueriesPerClass = protocol == SplitProtocols.Article ? queriesPerClass : 0,
            CandidatesPerClass = protocol == SplitProtocols.Article ? candidatesPerClass : 0,
            Queries = plan.Count(SplitRole.Query),
            Candidates = plan.Count(SplitRole.Candidate),
            Training = plan.Count(SplitRole.Training),
            LabelStateHash = labels.Hash,
            Warnings = plan.Warnings.Count == 0 ? null : string.Join('\n', plan.Warnings),
            CreatedBy = createdBy,
            CreatedAt = clock.GetUtcNow(),
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.EvaluationSplits.Add(split);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            throw new EvaluationException($"split '{name}' was created at the same moment by someone else; try again");
        }

        db.SplitImages.AddRange(plan.Images.Select(i => new SplitImage { SplitId = split.Id, ImageId = i.ImageId, ClassId = i.ClassId, Role = i.Role }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return split;
    }

    /// <summary>The dataset's split of that name, or null.</summary>
    public async Task<EvaluationSplit?> FindSplitAsync(int datasetId, string name, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.EvaluationSplits.AsNoTracking().FirstOrDefaultAsync(s => s.DatasetId == datasetId && s.Name == name, cancellationToken);
    }

    /// <summary>Records an evaluation run and its job run; <paramref name="enqueue"/> hands it to Hangfire (the CLI runs it itself).</summary>
    public async Task<(EvaluationRun Run, JobRun Job)> CreateRunAsync(EvaluationRequest request, bool enqueue, CancellationToken cancellationToken = default)
    {
        var ks = request.Ks.Distinct().Order().ToList();
        if (ks.Count == 0 || ks.Any(k => k is < 1 or > 1000))
        {
            throw new EvaluationException("each k must be between 1 and 1000");
        }

        if (!ks.Contains(request.MainK))
        {
            ks.Add(request.MainK);
            ks.Sort();
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var split = await db.EvaluationSplits.AsNoTracking().FirstOrDefaultAsync(s => s.Id == request.SplitId && s.DatasetId == request.DatasetId, cancellationToken)
            ?? throw new EvaluationException($"split {request.SplitId} is not a split of dataset {request.DatasetId}");
        string label;
        if (request.ModelId is { } modelId)
        {
            var model = await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken)
                ?? throw new EvaluationException($"model version {modelId} does not exist");
            label = model.Label;
            // Refused here rather than failing in the job later: the person starting it learns what to do first.
            var members = db.SplitImages.Where(s => s.SplitId == split.Id && s.Role != SplitRole.Training);
            var total = await members.CountAsync(cancellationToken);
            var missing = await members.CountAsync(s => !db.Embeddings.Any(e => e.ImageId == s.ImageId && e.ModelId == modelId), cancellationToken);
            if (missing > 0)
            {
                throw new EvaluationException($"{missing} of the split's {total} evaluation images have no {model.Label} embedding yet: compute embeddings for the dataset with {model.Label} first (the dataset page's Embeddings section)");
            }
        }
        else
        {
            label = "random";
        }

        var run = new EvaluationRun
        {
            DatasetId = request.DatasetId,
            SplitId = split.Id,
            Method = request.ModelId is null ? EvaluationMethods.Random : EvaluationMethods.Model,
            ModelId = request.ModelId,
            Label = label,
            Seed = request.Seed,
            KValues = string.Join(',', ks),
            MainK = request.MainK,
            CreatedBy = request.StartedBy,
            CreatedAt = clock.GetUtcNow(),
        };
        db.EvaluationRuns.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        var parameters = new EvaluateParameters(run.Id);
        var job = enqueue
            ? await runs.CreateAndEnqueueAsync(JobKinds.Evaluate, request.DatasetId, parameters, request.StartedBy, cancellationToken)
            : await runs.CreateAsync(JobKinds.Evaluate, request.DatasetId, parameters, request.StartedBy, cancellationToken);
        run.JobRunId = job.Id;
        await db.SaveChangesAsync(cancellationToken);
        return (run, job);
    }

    /// <summary>The job's work: rank, measure, store. Reentrant: a run whose report is stored is not computed again.</summary>
    public async Task<EvaluationSummary> ExecuteAsync(JobRun job, JobProgress progress, CancellationToken cancellationToken)
    {
        var parameters = JobRunService.ReadParameters<EvaluateParameters>(job);
        var clockStart = Stopwatch.StartNew();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.EvaluationRuns.FirstOrDefaultAsync(r => r.Id == parameters.EvaluationRunId, cancellationToken)
            ?? throw new EvaluationException($"evaluation run {parameters.EvaluationRunId} does not exist");
        var split = await db.EvaluationSplits.AsNoTracking().FirstAsync(s => s.Id == run.SplitId, cancellationToken);
        var dataset = await db.Datasets.AsNoTracking().FirstAsync(d => d.Id == run.DatasetId, cancellationToken);
        if (run.ReportGzip is { } stored)
        {
            return new EvaluationSummary(run.Id, job.Id, dataset.Name, split.Name, run.Label, EvaluationReport.FromGzip(stored), run.Seconds ?? 0) { ManifestJson = run.ManifestJson };
        }

        progress.SetMessage("Loading labels and embeddings");
        await progress.FlushAsync(force: true, cancellationToken);
        var labels = await groundTruth.CurrentAsync(run.DatasetId, cancellationToken);
        // Queries and candidates in content order: ranking ties, and the random baseline's per-query seeds, then
        // follow the images themselves, not row ids an import's timing handed out.
        var members = (await db.SplitImages.AsNoTracking().Where(s => s.SplitId == split.Id && s.Role != SplitRole.Training)
                .ToListAsync(cancellationToken))
            .OrderBy(m => labels.ContentOf.GetValueOrDefault(m.ImageId, ""), StringComparer.Ordinal).ThenBy(m => m.ImageId).ToList();
        var warnings = split.Warnings?.Split('\n').ToList() ?? [];
        // Evaluate with today's ground truth on the frozen membership; images that lost their label drop out.
        var unlabelled = members.Count(m => !labels.ClassOf.ContainsKey(m.ImageId));
        if (unlabelled > 0)
        {
            warnings.Add($"{unlabelled} images of the split have no label now and were left out");
        }

        members = [.. members.Where(m => labels.ClassOf.ContainsKey(m.ImageId))];
        var queries = members.Where(m => m.Role is SplitRole.Query or SplitRole.QueryAndCandidate).Select(m => new EvaluationItem(m.ImageId, labels.ClassOf[m.ImageId])).ToList();
        var candidates = members.Where(m => m.Role is SplitRole.Candidate or SplitRole.QueryAndCandidate).Select(m => new EvaluationItem(m.ImageId, labels.ClassOf[m.ImageId])).ToList();
        if (queries.Count == 0 || candidates.Count == 0)
        {
            throw new EvaluationException("the split has no labelled queries or candidates left");
        }

        EmbeddingModel? model = null;
        float[]? queryVectors = null, candidateVectors = null;
        List<string> computedOn = [];
        if (run.ModelId is { } modelId)
        {
            model = await db.EmbeddingModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken)
                ?? throw new EvaluationException($"model version {modelId} does not exist");
            var (vectors, jobRuns) = await LoadVectorsAsync(db, split.Id, model, cancellationToken);
            var missing = members.Count(m => !vectors.ContainsKey(m.ImageId));
            if (missing > 0)
            {
                throw new EvaluationException($"{missing} of the split's {members.Count} evaluation images have no {model.Label} embedding yet: compute embeddings for the dataset first");
            }

            computedOn = await db.JobRuns.AsNoTracking().Where(j => jobRuns.Contains(j.Id) && j.Machine != null)
                .Select(j => j.Machine!).Distinct().OrderBy(m => m).ToListAsync(cancellationToken);

            queryVectors = Stack(queries, vectors, model.Dimension);
            candidateVectors = Stack(candidates, vectors, model.Dimension);
        }

        var ks = run.Ks;
        var settings = new EvaluationSettings(ks, run.MainK, run.Seed);
        progress.SetTotal(queries.Count);
        progress.SetMessage($"Ranking {candidates.Count:N0} candidates for {queries.Count:N0} queries");
        await progress.FlushAsync(force: true, cancellationToken);

        var data = new EvaluationData
        {
            Queries = queries,
            Candidates = candidates,
            Classes = labels.Classes,
            QueryVectors = queryVectors,
            CandidateVectors = candidateVectors,
            Dimension = model?.Dimension ?? 0,
        };
        var report = await EvaluateWithProgressAsync(data, settings, progress, cancellationToken);
        var seconds = clockStart.Elapsed.TotalSeconds;
        var main = report.Overall.At(run.MainK);
        var manifest = new Dictionary<string, object?>
        {
            ["dataset"] = new { id = dataset.Id, name = dataset.Name },
            ["labels"] = new { hash = labels.Hash, labelled_images = labels.ClassOf.Count, source = labels.Source, from_consensus = labels.FromConsensus, from_review = labels.FromReview, excluded = labels.Excluded },
            ["split"] = new
            {
                id = split.Id, name = split.Name, protocol = split.Protocol, seed = split.Seed,
                queries_per_class = split.QueriesPerClass, candidates_per_class = split.CandidatesPerClass,
                queries = queries.Count, candidates = candidates.Count, training = split.Training, label_hash_when_drawn = split.LabelStateHash,
                digests = await SplitFiles.DigestsAsync(db, split.Id, cancellationToken),
            },
            ["method"] = run.Method,
            ["model"] = model is null ? null : new
            {
                name = model.Name, version = model.Version, sha256 = model.Sha256, source_sha256 = model.SourceSha256, origin = model.Origin,
                output = model.OutputName, derived_from_tensor = model.DerivedFromTensor, dimension = model.Dimension, preprocessing = model.Preprocessing,
                execution_path = model.ExecutionPath, float_variant_of = model.VariantOfId,
            },
            ["machine"] = new
            {
                evaluated_on = JobRunService.Machine,
                int8_dot_products_exact = hardware.Int8Exact,
                embeddings_computed_on = computedOn,
            },
            ["random_seed"] = run.Method == EvaluationMethods.Random ? run.Seed : null,
            ["k_values"] = ks,
            ["main_k"] = run.MainK,
            ["search"] = run.Method == EvaluationMethods.Random ? "seeded random order per query" : "exact: cosine of L2-normalised vectors over all candidates (blocked all-pairs dot products)",
            ["ties"] = "broken by content SHA-256, ascending",
            ["self_excluded"] = true,
            ["bootstrap"] = new { samples = settings.BootstrapSamples, seed = run.Seed, interval = "95% percentile" },
            ["warnings"] = warnings,
            ["platform"] = typeof(EvaluationService).Assembly.GetName().Version?.ToString(),
            ["seconds"] = Math.Round(seconds, 3),
            ["created_at"] = clock.GetUtcNow(),
        };

        run.ReportGzip = report.ToGzip();
        run.ManifestJson = JsonSerializer.Serialize(manifest, ManifestJson);
        run.Queries = report.Queries;
        run.Candidates = report.Candidates;
        run.PrecisionAtK = main.Precision;
        run.AveragePrecisionAtK = main.AveragePrecision;
        run.AveragePrecisionAtKNotebook = main.AveragePrecisionNotebook;
        run.MeanAveragePrecision = report.Overall.MeanAveragePrecision;
        run.LabelStateHash = labels.Hash;
        run.Seconds = seconds;
        run.CompletedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        return new EvaluationSummary(run.Id, job.Id, dataset.Name, split.Name, run.Label, report, seconds) { ManifestJson = run.ManifestJson };
    }

    private static readonly JsonSerializerOptions ManifestJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The evaluation with a progress report per block of queries (and Cancel seen) while it runs.</summary>
    private static async Task<EvaluationReport> EvaluateWithProgressAsync(EvaluationData data, EvaluationSettings settings, JobProgress progress, CancellationToken cancellationToken)
    {
        var reported = 0;
        var counted = 0;
        var report = await progress.RunCpuBoundAsync(ct => Evaluator.Evaluate(data, settings, done => Interlocked.Exchange(ref reported, done), ct), () =>
        {
            for (var now = Volatile.Read(ref reported); counted < now; counted++)
            {
                progress.Succeed();
            }
        }, cancellationToken);
        progress.SetMessage("Storing the report");
        await progress.FlushAsync(force: true, cancellationToken);
        return report;
    }

    /// <summary>The split's evaluation vectors, and the job runs that computed them (for where they were computed).</summary>
    private static async Task<(Dictionary<long, float[]> Vectors, List<long> JobRuns)> LoadVectorsAsync(PlatformDbContext db, int splitId, EmbeddingModel model, CancellationToken cancellationToken)
    {
        var rows = await db.SplitImages.AsNoTracking().Where(s => s.SplitId == splitId && s.Role != SplitRole.Training)
            .Join(db.Embeddings.Where(e => e.ModelId == model.Id), s => s.ImageId, e => e.ImageId, (s, e) => new { e.ImageId, e.Vector, e.JobRunId })
            .ToListAsync(cancellationToken);
        var vectors = new Dictionary<long, float[]>(rows.Count);
        foreach (var row in rows)
        {
            if (row.Vector.Length != model.Dimension * sizeof(float))
            {
                throw new EvaluationException($"the stored embedding of image {row.ImageId} has {row.Vector.Length / sizeof(float)} values, not {model.Dimension}");
            }

            vectors[row.ImageId] = VectorCodec.FromBytes(row.Vector);
        }

        return (vectors, [.. rows.Where(r => r.JobRunId != null).Select(r => r.JobRunId!.Value).Distinct()]);
    }

    private static float[] Stack(List<EvaluationItem> items, Dictionary<long, float[]> vectors, int dimension)
    {
        var matrix = new float[items.Count * dimension];
        for (var i = 0; i < items.Count; i++)
        {
            vectors[items[i].ImageId].CopyTo(matrix.AsSpan(i * dimension, dimension));
        }

        return matrix;
    }

    /// <summary>The report broken down by the source of its query images (crawled site host, or imported).</summary>
    public async Task<IReadOnlyList<SourceMetrics>> BySourceAsync(EvaluationReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ids = report.QueryResults.Select(q => q.ImageId).ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var hosts = await db.ImageProvenance.AsNoTracking().Where(p => ids.Contains(p.ImageId))
            .Select(p => new { p.ImageId, p.SourceHost }).ToDictionaryAsync(p => p.ImageId, p => p.SourceHost, cancellationToken);
        return Evaluator.BySource(report, hosts);
    }

    /// <summary>A finished run's report (cached: reports are immutable once stored).</summary>
    public async Task<EvaluationReport?> LoadReportAsync(long runId, CancellationToken cancellationToken = default)
    {
        if (cache.TryGetValue(("evaluation-report", runId), out EvaluationReport? cached))
        {
            return cached;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var data = await db.EvaluationRuns.Where(r => r.Id == runId).Select(r => r.ReportGzip).FirstOrDefaultAsync(cancellationToken);
        if (data is null)
        {
            return null;
        }

        var report = EvaluationReport.FromGzip(data);
        cache.Set(("evaluation-report", runId), report, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });
        return report;
    }

    /// <summary>The split's candidates with today's labels (for qrels exports).</summary>
    public async Task<List<EvaluationItem>> CandidatesAsync(EvaluationRun run, CancellationToken cancellationToken = default)
    {
        var labels = await groundTruth.CurrentAsync(run.DatasetId, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var ids = await db.SplitImages.AsNoTracking().Where(s => s.SplitId == run.SplitId && (s.Role == SplitRole.Candidate || s.Role == SplitRole.QueryAndCandidate))
            .OrderBy(s => s.ImageId).Select(s => s.ImageId).ToListAsync(cancellationToken);
        return [.. ids.Where(labels.ClassOf.ContainsKey).Select(id => new EvaluationItem(id, labels.ClassOf[id]))];
    }
}
