using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Datasets;

internal sealed class DatasetImageConfiguration : IEntityTypeConfiguration<DatasetImage>
{
    public void Configure(EntityTypeBuilder<DatasetImage> e)
    {
        e.ToTable("Images");
        e.Property(i => i.Sha256).HasMaxLength(64).IsFixedLength();
        e.Property(i => i.Format).HasMaxLength(16);
        e.Property(i => i.Origin).HasMaxLength(2048);
        // Content identity within a dataset: the same bytes are kept once.
        e.HasIndex(i => new { i.DatasetId, i.Sha256 }).IsUnique();
        e.HasIndex(i => new { i.DatasetId, i.SourceClassId });
        e.HasOne(i => i.Dataset).WithMany(d => d.Images).HasForeignKey(i => i.DatasetId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne(i => i.SourceClass).WithMany().HasForeignKey(i => i.SourceClassId).OnDelete(DeleteBehavior.SetNull);
        // An indexed link without a foreign key: SQLite can add a plain column in place, while a constraint would
        // make the migration rebuild the whole Images table.
        e.HasIndex(i => i.NearDuplicateOfId);
    }
}
