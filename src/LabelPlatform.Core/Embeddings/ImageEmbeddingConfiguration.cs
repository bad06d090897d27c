using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Embeddings;

internal sealed class ImageEmbeddingConfiguration : IEntityTypeConfiguration<ImageEmbedding>
{
    public void Configure(EntityTypeBuilder<ImageEmbedding> e)
    {
        e.ToTable("Embeddings");
        // One vector per (image, model version), whatever retries or concurrent runs do.
        e.HasIndex(x => new { x.ImageId, x.ModelId }).IsUnique();
        // An index catches up by reading a model's rows above the last id it saw.
        e.HasIndex(x => new { x.ModelId, x.Id });
        e.HasOne<DatasetImage>().WithMany().HasForeignKey(x => x.ImageId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<EmbeddingModel>().WithMany().HasForeignKey(x => x.ModelId).OnDelete(DeleteBehavior.Cascade);
    }
}
