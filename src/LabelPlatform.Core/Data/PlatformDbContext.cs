using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Evaluation;
using LabelPlatform.Core.Identity;
using LabelPlatform.Core.Jobs;
using LabelPlatform.Core.Labelling;
using LabelPlatform.Core.Maps;
using LabelPlatform.Core.Review;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Data;

public class PlatformDbContext(DbContextOptions<PlatformDbContext> options) : IdentityDbContext<PlatformUser>(options)
{
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<ImageClass> ImageClasses => Set<ImageClass>();
    public DbSet<DatasetImage> Images => Set<DatasetImage>();
    public DbSet<RejectedFile> RejectedFiles => Set<RejectedFile>();
    public DbSet<DuplicateFile> DuplicateFiles => Set<DuplicateFile>();
    public DbSet<JobRun> JobRuns => Set<JobRun>();
    public DbSet<JobRunItemError> JobRunItemErrors => Set<JobRunItemError>();
    public DbSet<JobChunk> JobChunks => Set<JobChunk>();
    public DbSet<EmbeddingModel> EmbeddingModels => Set<EmbeddingModel>();
    public DbSet<ImageEmbedding> Embeddings => Set<ImageEmbedding>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<EvaluationSplit> EvaluationSplits => Set<EvaluationSplit>();
    public DbSet<SplitImage> SplitImages => Set<SplitImage>();
    public DbSet<EvaluationRun> EvaluationRuns => Set<EvaluationRun>();
    public DbSet<Crawl> Crawls => Set<Crawl>();
    public DbSet<CrawlUrl> CrawlUrls => Set<CrawlUrl>();
    public DbSet<CrawlHost> CrawlHosts => Set<CrawlHost>();
    public DbSet<ImageProvenance> ImageProvenance => Set<ImageProvenance>();
    public DbSet<LabellingSettings> LabellingSettings => Set<LabellingSettings>();
    public DbSet<LabelSubmission> LabelSubmissions => Set<LabelSubmission>();
    public DbSet<LabelEvent> LabelEvents => Set<LabelEvent>();
    public DbSet<LabelVote> LabelVotes => Set<LabelVote>();
    public DbSet<FinalLabel> FinalLabels => Set<FinalLabel>();
    public DbSet<LabelLease> LabelLeases => Set<LabelLease>();
    public DbSet<EmbeddingMap> EmbeddingMaps => Set<EmbeddingMap>();
    public DbSet<ReviewFlag> ReviewFlags => Set<ReviewFlag>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        // Each feature keeps its mapping beside its entities (one IEntityTypeConfiguration per entity).
        builder.ApplyConfigurationsFromAssembly(typeof(PlatformDbContext).Assembly);
        ProviderConventions.Apply(builder, Database.ProviderName);
    }
}
