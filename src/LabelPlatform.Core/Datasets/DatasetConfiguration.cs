using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Datasets;

internal sealed class DatasetConfiguration : IEntityTypeConfiguration<Dataset>
{
    public void Configure(EntityTypeBuilder<Dataset> e)
    {
        e.Property(d => d.Name).HasMaxLength(100);
        e.HasIndex(d => d.Name).IsUnique();
        e.Property(d => d.Description).HasMaxLength(2000);
    }
}
