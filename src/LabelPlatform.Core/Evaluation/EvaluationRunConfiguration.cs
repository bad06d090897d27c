using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Evaluation;

internal sealed class EvaluationRunConfiguration : IEntityTypeConfiguration<EvaluationRun>
{
    public void Configure(EntityTypeBuilder<EvaluationRun> e)
    {
        e.Property(r => r.Method).HasMaxLength(16);
        e.Property(r => r.Label).HasMaxLength(200);
        e.Property(r => r.KValues).HasMaxLength(200);
        e.Property(r => r.CreatedBy).HasMaxLength(256);
        e.Property(r => r.LabelStateHash).HasMaxLength(64);
        e.Ignore(r => r.Ks);
        e.HasIndex(r => new { r.DatasetId, r.CreatedAt });
        // Plain indexed ids, no foreign keys: a finished run's report outlives its dataset and split as a record
        // (the pages say they were deleted). Ids are never reused (SQLite AUTOINCREMENT, PostgreSQL identity), so a
        // dangling one never names a newer row.
        e.HasIndex(r => r.SplitId);
        // A model version's runs stay readable after the model is removed (the manifest names it).
        e.HasOne<EmbeddingModel>().WithMany().HasForeignKey(r => r.ModelId).OnDelete(DeleteBehavior.SetNull);
        e.HasOne<JobRun>().WithMany().HasForeignKey(r => r.JobRunId).OnDelete(DeleteBehavior.SetNull);
    }
}
