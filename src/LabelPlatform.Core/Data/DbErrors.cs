using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LabelPlatform.Core.Data;

/// <summary>Database errors that callers handle, recognised for either engine.</summary>
public static class DbErrors
{
    /// <summary>An insert or update broke a unique index (SQLite error 19 "UNIQUE constraint failed"; PostgreSQL 23505).</summary>
    public static bool IsUniqueViolation(DbUpdateException ex) => ex.InnerException switch
    {
        SqliteException { SqliteErrorCode: 19 } sqlite => sqlite.Message.Contains("UNIQUE", StringComparison.Ordinal),
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
