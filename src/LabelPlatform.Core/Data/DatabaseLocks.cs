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
}
