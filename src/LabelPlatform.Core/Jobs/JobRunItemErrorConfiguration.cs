using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Jobs;

internal sealed class JobRunItemErrorConfiguration : IEntityTypeConfiguration<JobRunItemError>
{
    public void Configure(EntityTypeBuilder<JobRunItemError> e)
    {
        e.Property(x => x.Item).HasMaxLength(2048);
        e.Property(x => x.Message).HasMaxLength(1000);
        e.HasOne<JobRun>().WithMany().HasForeignKey(x => x.JobRunId).OnDelete(DeleteBehavior.Cascade);
    }
}
