using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Labelling;

internal sealed class LabelVoteConfiguration : IEntityTypeConfiguration<LabelVote>
{
    public void Configure(EntityTypeBuilder<LabelVote> e)
    {
        e.HasKey(v => new { v.ImageId, v.UserId });
        e.Property(v => v.UserId).HasMaxLength(450);
        e.Property(v => v.Kind).HasConversion<int>();
        e.HasIndex(v => new { v.DatasetId, v.UserId });
        e.HasOne<DatasetImage>().WithMany().HasForeignKey(v => v.ImageId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne(v => v.Event).WithMany().HasForeignKey(v => v.EventId).OnDelete(DeleteBehavior.Cascade);
    }
}
