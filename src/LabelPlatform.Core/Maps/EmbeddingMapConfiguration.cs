using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Maps;

internal sealed class EmbeddingMapConfiguration : IEntityTypeConfiguration<EmbeddingMap>
{
    public void Configure(EntityTypeBuilder<EmbeddingMap> e)
    {
        // The cache key: one map per (dataset, model version); computing again replaces it.
        e.HasIndex(m => new { m.DatasetId, m.ModelId }).IsUnique();
        e.Property(m => m.Timings).HasMaxLength(1000);
        e.HasOne<Dataset>().WithMany().HasForeignKey(m => m.DatasetId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<EmbeddingModel>().WithMany().HasForeignKey(m => m.ModelId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<JobRun>().WithMany().HasForeignKey(m => m.JobRunId).OnDelete(DeleteBehavior.SetNull);
    }
}
