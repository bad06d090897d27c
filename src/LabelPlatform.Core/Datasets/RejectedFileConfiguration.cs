using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Datasets;

internal sealed class RejectedFileConfiguration : IEntityTypeConfiguration<RejectedFile>
{
    public void Configure(EntityTypeBuilder<RejectedFile> e)
    {
        e.Property(r => r.Origin).HasMaxLength(2048);
        e.Property(r => r.Reason).HasMaxLength(1000);
        e.Property(r => r.Sha256).HasMaxLength(64);
        // One row per origin: a re-run updates the reason instead of piling up copies.
        e.HasIndex(r => new { r.DatasetId, r.Origin }).IsUnique();
        e.HasOne<Dataset>().WithMany().HasForeignKey(r => r.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}
