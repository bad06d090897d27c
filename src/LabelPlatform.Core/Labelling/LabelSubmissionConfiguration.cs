using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Labelling;

internal sealed class LabelSubmissionConfiguration : IEntityTypeConfiguration<LabelSubmission>
{
    public void Configure(EntityTypeBuilder<LabelSubmission> e)
    {
        e.Property(s => s.UserId).HasMaxLength(450);
        e.Property(s => s.ClientId).HasMaxLength(64);
        // A resubmission with the same client id finds this row instead of adding events again.
        e.HasIndex(s => new { s.UserId, s.ClientId }).IsUnique();
        e.HasOne<Dataset>().WithMany().HasForeignKey(s => s.DatasetId).OnDelete(DeleteBehavior.Cascade);
    }
}
