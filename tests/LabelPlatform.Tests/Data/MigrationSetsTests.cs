using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LabelPlatform.Tests.Data;

/// <summary>
/// One model, one migrations set per provider (EF Core "migrations with multiple providers"): a change to an entity
/// or its configuration without a migration in both sets fails here, before any database is touched.
/// </summary>
public class MigrationSetsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "labelplatform-tests", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(DatabaseOptions.Sqlite, DataServiceCollectionExtensions.MigrationsAssembly, "migrations/LabelPlatform.Migrations")]
    [InlineData(DatabaseOptions.Postgres, DataServiceCollectionExtensions.PostgresMigrationsAssembly, "migrations/LabelPlatform.Migrations.Postgres")]
    public void Each_provider_has_migrations_for_the_current_model(string provider, string assembly, string project)
    {
        // The app's own wiring (provider, connection string, migrations assembly); no server is contacted.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:DataDirectory"] = _data,
            ["Database:Provider"] = provider,
            ["ConnectionStrings:Platform"] = provider == DatabaseOptions.Postgres ? "Host=127.0.0.1;Database=never-opened" : null,
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddPlatformCore(configuration, _data).BuildServiceProvider();
        using var db = services.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContext();

        Assert.Equal(assembly, db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrationsAssembly>().Assembly.GetName().Name);
        Assert.NotEmpty(db.Database.GetMigrations());
        Assert.False(db.Database.HasPendingModelChanges(),
            $"the model has changes without a {provider} migration: dotnet ef migrations add <Name> --project {project} --startup-project {project}");
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
