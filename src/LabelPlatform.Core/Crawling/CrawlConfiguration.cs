using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Crawling;

internal sealed class CrawlConfiguration : IEntityTypeConfiguration<Crawl>
{
    public void Configure(EntityTypeBuilder<Crawl> e)
    {
        e.Property(c => c.State).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.SettingsJson).HasMaxLength(20000);
        e.Property(c => c.CreatedBy).HasMaxLength(256);
        e.Property(c => c.Message).HasMaxLength(1000);
        e.HasIndex(c => c.CreatedAt);
        e.HasOne<Dataset>().WithMany().HasForeignKey(c => c.DatasetId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<JobRun>().WithMany().HasForeignKey(c => c.CurrentJobRunId).OnDelete(DeleteBehavior.SetNull);
    }
}
