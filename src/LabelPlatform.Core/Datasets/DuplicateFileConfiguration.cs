using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Datasets;

internal sealed class DuplicateFileConfiguration : IEntityTypeConfiguration<DuplicateFile>
{
    public void Configure(EntityTypeBuilder<DuplicateFile> e)
    {
        e.Property(d => d.Origin).HasMaxLength(2048);
        // One record per offered file: a re-run meets the same copies again and records nothing new.
        e.HasIndex(d => new { d.DatasetId, d.Origin }).IsUnique();
        e.HasIndex(d => d.ImageId);
        e.HasOne<Dataset>().WithMany().HasForeignKey(d => d.DatasetId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<DatasetImage>().WithMany().HasForeignKey(d => d.ImageId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<ImageClass>().WithMany().HasForeignKey(d => d.ClassId).OnDelete(DeleteBehavior.SetNull);
    }
}
