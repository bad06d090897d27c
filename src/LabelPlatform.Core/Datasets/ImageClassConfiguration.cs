using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Datasets;

internal sealed class ImageClassConfiguration : IEntityTypeConfiguration<ImageClass>
{
    public void Configure(EntityTypeBuilder<ImageClass> e)
    {
        e.Property(c => c.Name).HasMaxLength(ImageClass.MaxNameLength);
        e.Property(c => c.Hotkey).HasMaxLength(ImageClass.MaxHotkeyLength);
        e.HasIndex(c => new { c.DatasetId, c.Name }).IsUnique();
        e.HasIndex(c => new { c.DatasetId, c.Hotkey }).IsUnique().HasFilter("\"Hotkey\" IS NOT NULL");
        // At most one noise/background class per dataset.
        e.HasIndex(c => c.DatasetId).IsUnique().HasFilter("\"IsNoise\" = 1").HasDatabaseName("IX_ImageClasses_OneNoiseClass");
        e.HasOne(c => c.Dataset).WithMany(d => d.Classes).HasForeignKey(c => c.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}
