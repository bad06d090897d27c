using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace LabelPlatform.Core.Data;

/// <summary>
/// Sets per-connection SQLite pragmas: a busy timeout so concurrent writers (web, jobs, a second worker) wait instead
/// of failing with SQLITE_BUSY, and foreign keys on. WAL mode is persistent and set once at start-up.
/// </summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
