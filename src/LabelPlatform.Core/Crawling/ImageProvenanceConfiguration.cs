using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Crawling;

internal sealed class ImageProvenanceConfiguration : IEntityTypeConfiguration<ImageProvenance>
{
    public void Configure(EntityTypeBuilder<ImageProvenance> e)
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
    }
}
