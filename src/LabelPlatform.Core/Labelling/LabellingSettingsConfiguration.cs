using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Labelling;

internal sealed class LabellingSettingsConfiguration : IEntityTypeConfiguration<LabellingSettings>
{
    public void Configure(EntityTypeBuilder<LabellingSettings> e)
    {
        e.HasKey(s => s.DatasetId);
        e.Property(s => s.UpdatedBy).HasMaxLength(256);
        e.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<EmbeddingModel>().WithMany().HasForeignKey(s => s.ModelId).OnDelete(DeleteBehavior.SetNull);
    }
}
