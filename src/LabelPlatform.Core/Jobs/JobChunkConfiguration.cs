using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Jobs;

internal sealed class JobChunkConfiguration : IEntityTypeConfiguration<JobChunk>
{
    public void Configure(EntityTypeBuilder<JobChunk> e)
    {
        e.Property(c => c.LeaseOwner).HasMaxLength(200);
        e.Property(c => c.Worker).HasMaxLength(200);
        e.Property(c => c.State).HasConversion<string>().HasMaxLength(16);
        e.HasIndex(c => new { c.JobRunId, c.Index }).IsUnique();
        e.HasIndex(c => new { c.JobRunId, c.State });
        e.HasOne<JobRun>().WithMany().HasForeignKey(c => c.JobRunId).OnDelete(DeleteBehavior.Cascade);
    }
}
