using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Embeddings;

internal sealed class EmbeddingModelConfiguration : IEntityTypeConfiguration<EmbeddingModel>
{
    public void Configure(EntityTypeBuilder<EmbeddingModel> e)
    {
        e.Property(m => m.Name).HasMaxLength(100);
        // A quantized model and its float variant share name and version; their paths tell them apart.
        e.HasIndex(m => new { m.Name, m.Version, m.ExecutionPath }).IsUnique();
        e.Property(m => m.Sha256).HasMaxLength(64);
        e.Property(m => m.SourceSha256).HasMaxLength(64);
        e.Property(m => m.Origin).HasMaxLength(2048);
        e.Property(m => m.InputName).HasMaxLength(200);
        e.Property(m => m.OutputName).HasMaxLength(200);
        e.Property(m => m.DerivedFromTensor).HasMaxLength(200);
        e.Property(m => m.CreatedBy).HasMaxLength(256);
        e.Property(m => m.ExecutionPath).HasMaxLength(16);
        e.Property(m => m.PathChoice).HasMaxLength(16).HasDefaultValue(PathChoices.Auto);
        e.Property(m => m.VariantProblem).HasMaxLength(2000);
        // An indexed link without a foreign key: SQLite adds a plain column in place, a constraint would rebuild the table.
        e.HasIndex(m => m.VariantOfId).IsUnique();
        e.OwnsOne(m => m.Preprocessing, p => p.ToJson());
        e.HasIndex(m => m.TrainingJobRunId).IsUnique();
    }
}
