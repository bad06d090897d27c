using LabelPlatform.Core.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LabelPlatform.Core.Data;

/// <summary>Applies migrations at start-up (web, worker and CLI alike) and seeds roles and the first admin.</summary>
public static class DatabaseInitializer
{
    public static async Task InitializeAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PlatformDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseInitializer));

        if (db.Database.IsSqlite())
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            var file = new SqliteConnectionStringBuilder(connection.ConnectionString).DataSource;
            var directory = Path.GetDirectoryName(Path.GetFullPath(file));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }

        // Web and workers started together on one PostgreSQL database: one migrates and seeds, the others then find it done.
        await using var startup = await DatabaseLocks.HoldSessionLockAsync(db.Database, DatabaseLocks.Startup, cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers (pages) go on while a job writes; the setting is stored in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        }

        await scope.ServiceProvider.GetRequiredService<AdminSeeder>().EnsureRolesAndAdminAsync(cancellationToken);
        logger.LogInformation("Database ready");
    }
}
