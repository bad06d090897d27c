using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Evaluation;

internal sealed class SplitImageConfiguration : IEntityTypeConfiguration<SplitImage>
{
    public void Configure(EntityTypeBuilder<SplitImage> e)
    {
        e.HasKey(s => new { s.SplitId, s.ImageId });
        e.HasIndex(s => new { s.SplitId, s.Role });
        e.HasOne<EvaluationSplit>().WithMany().HasForeignKey(s => s.SplitId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<DatasetImage>().WithMany().HasForeignKey(s => s.ImageId).OnDelete(DeleteBehavior.Cascade);
    }
}
