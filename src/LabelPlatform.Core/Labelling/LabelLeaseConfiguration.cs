using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Labelling;

internal sealed class LabelLeaseConfiguration : IEntityTypeConfiguration<LabelLease>
{
    public void Configure(EntityTypeBuilder<LabelLease> e)
    {
        e.Property(l => l.UserId).HasMaxLength(450);
        e.HasIndex(l => new { l.ImageId, l.UserId }).IsUnique();
        e.HasIndex(l => new { l.DatasetId, l.ExpiresAt });
        e.HasOne<DatasetImage>().WithMany().HasForeignKey(l => l.ImageId).OnDelete(DeleteBehavior.Cascade);
    }
}
