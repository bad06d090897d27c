using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Crawling;

internal sealed class CrawlUrlConfiguration : IEntityTypeConfiguration<CrawlUrl>
{
    public void Configure(EntityTypeBuilder<CrawlUrl> e)
    {
        e.Property(u => u.Url).HasMaxLength(UrlNormalizer.MaxLength);
        e.Property(u => u.Host).HasMaxLength(300);
        e.Property(u => u.Kind).HasConversion<string>().HasMaxLength(8);
        e.Property(u => u.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(u => u.Reason).HasMaxLength(1000);
        e.Property(u => u.FoundOn).HasMaxLength(UrlNormalizer.MaxLength);
        e.Property(u => u.AltText).HasMaxLength(1000);
        e.Property(u => u.PageTitle).HasMaxLength(500);
        e.Property(u => u.ClaimedBy).HasMaxLength(64);
        // The frontier's de-duplication: one row per normalised URL and kind in a crawl.
        e.HasIndex(u => new { u.CrawlId, u.Kind, u.Url }).IsUnique();
        e.HasIndex(u => new { u.CrawlId, u.Status, u.Depth });
        e.HasOne<Crawl>().WithMany().HasForeignKey(u => u.CrawlId).OnDelete(DeleteBehavior.Cascade);
    }
}
