using LabelPlatform.Core.Datasets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Labelling;

internal sealed class LabelEventConfiguration : IEntityTypeConfiguration<LabelEvent>
{
    public void Configure(EntityTypeBuilder<LabelEvent> e)
    {
        e.Property(x => x.UserId).HasMaxLength(450);
        e.Property(x => x.Kind).HasConversion<int>();
        e.Property(x => x.Suggestions).HasMaxLength(200);
        e.Property(x => x.Source).HasMaxLength(16);
        e.HasIndex(x => new { x.DatasetId, x.UserId, x.Id });
        e.HasIndex(x => new { x.ImageId, x.UserId, x.Id });
        e.HasIndex(x => x.SubmissionId);
        e.HasIndex(x => x.UndoesEventId);
        e.HasOne(x => x.Submission).WithMany().HasForeignKey(x => x.SubmissionId).OnDelete(DeleteBehavior.Cascade);
        e.HasOne<DatasetImage>().WithMany().HasForeignKey(x => x.ImageId).OnDelete(DeleteBehavior.Cascade);
        // Events name classes by id; a class removed later leaves the history readable (the id stays).
    }
}
