using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Evaluation;

internal sealed class EvaluationSplitConfiguration : IEntityTypeConfiguration<EvaluationSplit>
{
    public void Configure(EntityTypeBuilder<EvaluationSplit> e)
    {
        e.Property(s => s.Name).HasMaxLength(100);
        e.Property(s => s.Protocol).HasMaxLength(32);
        e.Property(s => s.LabelStateHash).HasMaxLength(64);
        e.Property(s => s.Warnings).HasMaxLength(20000);
        e.Property(s => s.CreatedBy).HasMaxLength(256);
        e.HasIndex(s => new { s.DatasetId, s.Name }).IsUnique();
        e.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}
