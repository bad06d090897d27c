using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace LabelPlatform.Core.Data;

/// <summary>
/// A write lock that holds across processes for the rest of the current transaction. SQLite has one already: its
/// transactions begin IMMEDIATE (Microsoft.Data.Sqlite), taking the database's single write lock. PostgreSQL lets
/// transactions write side by side, so the same exclusion is a transaction-scoped advisory lock on a key that every
/// process (web or worker, any machine) derives the same way.
/// </summary>
public static class DatabaseLocks
{
    /// <summary>Labelling writes (submissions, leases, final labels): the label write gate.</summary>
    public const long Labelling = 0x4C61_6265_6C01; // "Label" + 1: any fixed number, the same in every process

    /// <summary>Start-up (migrations and the first admin): processes started together do it one after another.</summary>
    public const long Startup = 0x4C61_6265_6C02;

    /// <summary>
    /// Holds <paramref name="key"/> until the result is disposed, on a connection of its own (PostgreSQL); nothing on
    /// SQLite, whose writers already queue on its single write lock.
    /// </summary>
    public static async Task<IAsyncDisposable> HoldSessionLockAsync(DatabaseFacade database, long key, CancellationToken cancellationToken)
    {
        if (!ProviderConventions.IsNpgsql(database.ProviderName))
        {
            return NoLock.Instance;
        }

        // Unpooled: a pooled connection returned to its pool would keep holding the lock until it was reused.
        var connection = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(database.GetConnectionString()) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", key);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection; // closing it releases the lock
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public static async Task TakeTransactionLockAsync(DatabaseFacade database, long key, CancellationToken cancellationToken)
    {
        if (database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("a transaction-scoped lock needs a transaction");
        }

        if (ProviderConventions.IsNpgsql(database.ProviderName))
        {
            // Released by COMMIT or ROLLBACK, also when the process dies and the server closes its connection.
            await database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({key})", cancellationToken);
        }
    }

    private sealed class NoLock : IAsyncDisposable
    {
        public static readonly NoLock Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
