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
    public DbSet<EmbeddingModel> EmbeddingModels => Set<EmbeddingModel>();
    public DbSet<ImageEmbedding> Embeddings => Set<ImageEmbedding>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<EvaluationSplit> EvaluationSplits => Set<EvaluationSplit>();
    public DbSet<SplitImage> SplitImages => Set<SplitImage>();
    public DbSet<EvaluationRun> EvaluationRuns => Set<EvaluationRun>();
    public DbSet<Crawl> Crawls => Set<Crawl>();
    public DbSet<CrawlUrl> CrawlUrls => Set<CrawlUrl>();
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
        // Features that own their mapping keep it beside their entities (IEntityTypeConfiguration).
        builder.ApplyConfigurationsFromAssembly(typeof(PlatformDbContext).Assembly);

        builder.Entity<Dataset>(e =>
        {
            e.Property(d => d.Name).HasMaxLength(100);
            e.HasIndex(d => d.Name).IsUnique();
            e.Property(d => d.Description).HasMaxLength(2000);
        });

        builder.Entity<ImageClass>(e =>
        {
            e.Property(c => c.Name).HasMaxLength(ImageClass.MaxNameLength);
            e.Property(c => c.Hotkey).HasMaxLength(ImageClass.MaxHotkeyLength);
            e.HasIndex(c => new { c.DatasetId, c.Name }).IsUnique();
            e.HasIndex(c => new { c.DatasetId, c.Hotkey }).IsUnique().HasFilter("\"Hotkey\" IS NOT NULL");
            // At most one noise/background class per dataset.
            e.HasIndex(c => c.DatasetId).IsUnique().HasFilter("\"IsNoise\" = 1").HasDatabaseName("IX_ImageClasses_OneNoiseClass");
            e.HasOne(c => c.Dataset).WithMany(d => d.Classes).HasForeignKey(c => c.DatasetId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<DatasetImage>(e =>
        {
            e.ToTable("Images");
            e.Property(i => i.Sha256).HasMaxLength(64).IsFixedLength();
            e.Property(i => i.Format).HasMaxLength(16);
            e.Property(i => i.Origin).HasMaxLength(2048);
            // Content identity within a dataset: the same bytes are kept once.
            e.HasIndex(i => new { i.DatasetId, i.Sha256 }).IsUnique();
            e.HasIndex(i => new { i.DatasetId, i.SourceClassId });
            e.HasOne(i => i.Dataset).WithMany(d => d.Images).HasForeignKey(i => i.DatasetId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(i => i.SourceClass).WithMany().HasForeignKey(i => i.SourceClassId).OnDelete(DeleteBehavior.SetNull);
            // An indexed link without a foreign key: SQLite can add a plain column in place, while a constraint would
            // make the migration rebuild the whole Images table.
            e.HasIndex(i => i.NearDuplicateOfId);
        });

        builder.Entity<Crawl>(e =>
        {
            e.Property(c => c.State).HasConversion<string>().HasMaxLength(16);
            e.Property(c => c.SettingsJson).HasMaxLength(20000);
            e.Property(c => c.CreatedBy).HasMaxLength(256);
            e.Property(c => c.Message).HasMaxLength(1000);
            e.HasIndex(c => c.CreatedAt);
            e.HasOne<Dataset>().WithMany().HasForeignKey(c => c.DatasetId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<JobRun>().WithMany().HasForeignKey(c => c.CurrentJobRunId).OnDelete(DeleteBehavior.SetNull);
        });

        builder.Entity<CrawlUrl>(e =>
        {
            e.Property(u => u.Url).HasMaxLength(UrlNormalizer.MaxLength);
            e.Property(u => u.Host).HasMaxLength(300);
            e.Property(u => u.Kind).HasConversion<string>().HasMaxLength(8);
            e.Property(u => u.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(u => u.Reason).HasMaxLength(1000);
            e.Property(u => u.FoundOn).HasMaxLength(UrlNormalizer.MaxLength);
            e.Property(u => u.AltText).HasMaxLength(1000);
            e.Property(u => u.PageTitle).HasMaxLength(500);
            // The frontier's de-duplication: one row per normalised URL and kind in a crawl.
            e.HasIndex(u => new { u.CrawlId, u.Kind, u.Url }).IsUnique();
            e.HasIndex(u => new { u.CrawlId, u.Status, u.Depth });
            e.HasOne<Crawl>().WithMany().HasForeignKey(u => u.CrawlId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<ImageProvenance>(e =>
        {
            e.HasKey(p => p.ImageId);
            e.Property(p => p.PageUrl).HasMaxLength(UrlNormalizer.MaxLength);
            e.Property(p => p.ImageUrl).HasMaxLength(UrlNormalizer.MaxLength);
            e.Property(p => p.SourceHost).HasMaxLength(300);
            e.Property(p => p.AltText).HasMaxLength(1000);
            e.Property(p => p.PageTitle).HasMaxLength(500);
            e.Property(p => p.RobotsDecision).HasMaxLength(1000);
            e.HasIndex(p => p.SourceHost);
            e.HasIndex(p => p.CrawlId);
            e.HasOne<DatasetImage>().WithOne().HasForeignKey<ImageProvenance>(p => p.ImageId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Crawl>().WithMany().HasForeignKey(p => p.CrawlId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<RejectedFile>(e =>
        {
            e.Property(r => r.Origin).HasMaxLength(2048);
            e.Property(r => r.Reason).HasMaxLength(1000);
            e.Property(r => r.Sha256).HasMaxLength(64);
            // One row per origin: a re-run updates the reason instead of piling up copies.
            e.HasIndex(r => new { r.DatasetId, r.Origin }).IsUnique();
            e.HasOne<Dataset>().WithMany().HasForeignKey(r => r.DatasetId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<JobRun>(e =>
        {
            e.Property(j => j.Kind).HasMaxLength(32);
            e.Property(j => j.Message).HasMaxLength(1000);
            e.Property(j => j.Error).HasMaxLength(4000);
            e.Property(j => j.StartedBy).HasMaxLength(256);
            e.Property(j => j.HangfireJobId).HasMaxLength(64);
            e.Property(j => j.LeaseOwner).HasMaxLength(200);
            e.Property(j => j.Machine).HasMaxLength(1000);
            e.Property(j => j.State).HasConversion<string>().HasMaxLength(16);
            e.HasIndex(j => j.CreatedAt);
            e.HasIndex(j => new { j.State, j.Kind });
            e.Ignore(j => j.IsFinished);
            e.Ignore(j => j.ProgressFraction);
        });

        builder.Entity<JobRunItemError>(e =>
        {
            e.Property(x => x.Item).HasMaxLength(2048);
            e.Property(x => x.Message).HasMaxLength(1000);
            e.HasOne<JobRun>().WithMany().HasForeignKey(x => x.JobRunId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<ImageEmbedding>(e =>
        {
            e.ToTable("Embeddings");
            // One vector per (image, model version), whatever retries or concurrent runs do.
            e.HasIndex(x => new { x.ImageId, x.ModelId }).IsUnique();
            // An index catches up by reading a model's rows above the last id it saw.
            e.HasIndex(x => new { x.ModelId, x.Id });
            e.HasOne<DatasetImage>().WithMany().HasForeignKey(x => x.ImageId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<EmbeddingModel>().WithMany().HasForeignKey(x => x.ModelId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<EvaluationSplit>(e =>
        {
            e.Property(s => s.Name).HasMaxLength(100);
            e.Property(s => s.Protocol).HasMaxLength(32);
            e.Property(s => s.LabelStateHash).HasMaxLength(64);
            e.Property(s => s.Warnings).HasMaxLength(20000);
            e.Property(s => s.CreatedBy).HasMaxLength(256);
            e.HasIndex(s => new { s.DatasetId, s.Name }).IsUnique();
            e.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<SplitImage>(e =>
        {
            e.HasKey(s => new { s.SplitId, s.ImageId });
            e.HasIndex(s => new { s.SplitId, s.Role });
            e.HasOne<EvaluationSplit>().WithMany().HasForeignKey(s => s.SplitId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<DatasetImage>().WithMany().HasForeignKey(s => s.ImageId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<EvaluationRun>(e =>
        {
            e.Property(r => r.Method).HasMaxLength(16);
            e.Property(r => r.Label).HasMaxLength(200);
            e.Property(r => r.KValues).HasMaxLength(200);
            e.Property(r => r.CreatedBy).HasMaxLength(256);
            e.Property(r => r.LabelStateHash).HasMaxLength(64);
            e.Ignore(r => r.Ks);
            e.HasIndex(r => new { r.DatasetId, r.CreatedAt });
            // Plain indexed ids, no foreign keys: a finished run's report outlives its dataset and split as a record
            // (the pages say they were deleted). Ids are AUTOINCREMENT, so a dangling one never names a newer row.
            e.HasIndex(r => r.SplitId);
            // A model version's runs stay readable after the model is removed (the manifest names it).
            e.HasOne<EmbeddingModel>().WithMany().HasForeignKey(r => r.ModelId).OnDelete(DeleteBehavior.SetNull);
            e.HasOne<JobRun>().WithMany().HasForeignKey(r => r.JobRunId).OnDelete(DeleteBehavior.SetNull);
        });

        ConfigureLabelling(builder);

        if (Database.IsSqlite())
        {
            // SQLite cannot order or compare DateTimeOffset natively; store UTC ticks so ORDER BY and ranges work.
            foreach (var entity in builder.Model.GetEntityTypes())
            {
                foreach (var property in entity.GetProperties().Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
                {
                    property.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter());
                }
            }
        }
    }

    private static void ConfigureLabelling(ModelBuilder builder)
    {
        builder.Entity<LabellingSettings>(e =>
        {
            e.HasKey(s => s.DatasetId);
            e.Property(s => s.UpdatedBy).HasMaxLength(256);
            e.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<EmbeddingModel>().WithMany().HasForeignKey(s => s.ModelId).OnDelete(DeleteBehavior.SetNull);
        });

        builder.Entity<LabelSubmission>(e =>
        {
            e.Property(s => s.UserId).HasMaxLength(450);
            e.Property(s => s.ClientId).HasMaxLength(64);
            // A resubmission with the same client id finds this row instead of adding events again.
            e.HasIndex(s => new { s.UserId, s.ClientId }).IsUnique();
            e.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<LabelEvent>(e =>
        {
            e.Property(x => x.UserId).HasMaxLength(450);
            e.Property(x => x.Kind).HasConversion<int>();
            e.Property(x => x.Suggestions).HasMaxLength(200);
            e.Property(x => x.Source).HasMaxLength(16);
            e.HasIndex(x => new { x.DatasetId, x.UserId, x.Id });
            e.HasIndex(x => new { x.ImageId, x.UserId, x.Id });
            e.HasIndex(x => x.SubmissionId);
            e.HasIndex(x => x.UndoesEventId);
            e.HasOne(x => x.Submission).WithMany().HasForeignKey(x => x.SubmissionId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<DatasetImage>().WithMany().HasForeignKey(x => x.ImageId).OnDelete(DeleteBehavior.Cascade);
            // Events name classes by id; a class removed later leaves the history readable (the id stays).
        });

        builder.Entity<LabelVote>(e =>
        {
            e.HasKey(v => new { v.ImageId, v.UserId });
            e.Property(v => v.UserId).HasMaxLength(450);
            e.Property(v => v.Kind).HasConversion<int>();
            e.HasIndex(v => new { v.DatasetId, v.UserId });
            e.HasOne<DatasetImage>().WithMany().HasForeignKey(v => v.ImageId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne(v => v.Event).WithMany().HasForeignKey(v => v.EventId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<FinalLabel>(e =>
        {
            e.HasKey(f => f.ImageId);
            e.Property(f => f.DecidedBy).HasMaxLength(450);
            // Reviewers' edits: an update whose version is no longer the stored one touches no row and is a conflict.
            e.Property(f => f.Version).IsConcurrencyToken();
            e.HasIndex(f => f.DatasetId);
            e.HasOne<DatasetImage>().WithMany().HasForeignKey(f => f.ImageId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<LabelLease>(e =>
        {
            e.Property(l => l.UserId).HasMaxLength(450);
            e.HasIndex(l => new { l.ImageId, l.UserId }).IsUnique();
            e.HasIndex(l => new { l.DatasetId, l.ExpiresAt });
            e.HasOne<DatasetImage>().WithMany().HasForeignKey(l => l.ImageId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
