using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Crawling;

internal sealed class CrawlHostConfiguration : IEntityTypeConfiguration<CrawlHost>
{
    public void Configure(EntityTypeBuilder<CrawlHost> e)
    {
        e.HasKey(h => new { h.CrawlId, h.Host });
        e.Property(h => h.Host).HasMaxLength(300);
        e.HasOne<Crawl>().WithMany().HasForeignKey(h => h.CrawlId).OnDelete(DeleteBehavior.Cascade);
    }
}
