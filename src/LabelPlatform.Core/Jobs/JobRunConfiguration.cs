using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LabelPlatform.Core.Jobs;

internal sealed class JobRunConfiguration : IEntityTypeConfiguration<JobRun>
{
    public void Configure(EntityTypeBuilder<JobRun> e)
    {
        e.Property(j => j.Kind).HasMaxLength(32);
        e.Property(j => j.Message).HasMaxLength(1000);
        e.Property(j => j.Error).HasMaxLength(4000);
        e.Property(j => j.StartedBy).HasMaxLength(256);
        e.Property(j => j.HangfireJobId).HasMaxLength(64);
        e.Property(j => j.LeaseOwner).HasMaxLength(200);
        e.Property(j => j.Machine).HasMaxLength(1000);
        e.Property(j => j.State).HasConversion<string>().HasMaxLength(16);
        e.HasIndex(j => j.CreatedAt);
        e.HasIndex(j => new { j.State, j.Kind });
        e.Ignore(j => j.IsFinished);
        e.Ignore(j => j.ProgressFraction);
    }
}
