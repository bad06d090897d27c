using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Labelling;

internal sealed class FinalLabelConfiguration : IEntityTypeConfiguration<FinalLabel>
{
    public void Configure(EntityTypeBuilder<FinalLabel> e)
    {
        e.HasKey(f => f.ImageId);
        e.Property(f => f.DecidedBy).HasMaxLength(450);
        // Reviewers' edits: an update whose version is no longer the stored one touches no row and is a conflict.
        e.Property(f => f.Version).IsConcurrencyToken();
        e.HasIndex(f => f.DatasetId);
        e.HasOne<DatasetImage>().WithMany().HasForeignKey(f => f.ImageId).OnDelete(DeleteBehavior.Cascade);
    }
}
