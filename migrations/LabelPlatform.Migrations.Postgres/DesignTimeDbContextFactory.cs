using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LabelPlatform.Migrations.Postgres;

/// <summary>
/// Lets `dotnet ef migrations add X --project migrations/LabelPlatform.Migrations.Postgres` build the Npgsql model
/// without a server (adding a migration never connects).
/// </summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PlatformDbContext>
{
    public PlatformDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PlatformDbContext>()
            .UseNpgsql("Host=localhost;Database=labelplatform_design", npgsql => npgsql.MigrationsAssembly(DataServiceCollectionExtensions.PostgresMigrationsAssembly))
            .Options;
        return new PlatformDbContext(options);
    }
}
