using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Review;

internal sealed class ReviewFlagConfiguration : IEntityTypeConfiguration<ReviewFlag>
{
    public void Configure(EntityTypeBuilder<ReviewFlag> e)
    {
        // One row per image: flagging again replaces who, when and why.
        e.HasIndex(f => f.ImageId).IsUnique();
        e.HasIndex(f => new { f.DatasetId, f.FlaggedAt });
        e.Property(f => f.FlaggedBy).HasMaxLength(450);
        e.Property(f => f.Note).HasMaxLength(ReviewFlag.MaxNoteLength);
        e.HasOne<DatasetImage>().WithMany().HasForeignKey(f => f.ImageId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<Dataset>().WithMany().HasForeignKey(f => f.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}
