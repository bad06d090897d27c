using Npgsql;

namespace LabelPlatform.Testing;

/// <summary>
/// The database a test platform runs on. Without <see cref="Variable"/> it is SQLite (a file in the test's data
/// folder, nothing to do here). With it set to a PostgreSQL server — a Unix socket directory ("/tmp/pg.x") or an
/// Npgsql connection string ("Host=db;Username=postgres") — each platform gets its own throw-away database, created
/// here and dropped on dispose, so test classes running side by side never see each other's rows.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    public const string Variable = "LABELPLATFORM_TEST_DATABASE";

    private static readonly string? ServerConnectionString = Parse(Environment.GetEnvironmentVariable(Variable));

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>Whether this test run targets PostgreSQL.</summary>
    public static bool IsPostgres => ServerConnectionString is not null;

    public string Name { get; }

    public string ConnectionString { get; }

    /// <summary>A fresh database on the configured server, or null on a SQLite run.</summary>
    public static TestDatabase? CreateIfPostgres() => IsPostgres ? Create() : null;

    public static TestDatabase Create()
    {
        var server = ServerConnectionString ?? throw new InvalidOperationException($"{Variable} is not set");
        var name = "lp_test_" + Guid.NewGuid().ToString("N");
        Execute(server, $"CREATE DATABASE \"{name}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
        return new TestDatabase(name, connectionString);
    }

    /// <summary>The configuration keys that point a platform at this database.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Database:Provider", "Postgres"),
        new("ConnectionStrings:Platform", ConnectionString),
    ];

    /// <summary>Adds <see cref="Settings"/> to a test's configuration (nothing when <paramref name="database"/> is null: SQLite).</summary>
    public static Dictionary<string, string?> Apply(TestDatabase? database, Dictionary<string, string?> settings)
    {
        foreach (var (key, value) in database?.Settings ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public void Dispose()
    {
        // Pooled connections of this database would keep it busy; FORCE ends any a killed process left behind.
        NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString));
        try
        {
            Execute(ServerConnectionString!, $"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
        }
        catch (NpgsqlException)
        {
            // The cluster is thrown away after the run anyway; a failed drop must not fail the test that used it.
        }
    }

    private static void Execute(string server, string sql)
    {
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static string? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        // A socket directory: the throw-away cluster of tests/run.sh (trust authentication, user postgres).
        return value.StartsWith('/') ? new NpgsqlConnectionStringBuilder { Host = value, Username = "postgres" }.ConnectionString : value;
    }
}
