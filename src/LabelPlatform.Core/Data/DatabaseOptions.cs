using System.ComponentModel.DataAnnotations;

namespace LabelPlatform.Core.Data;

/// <summary>
/// Which database engine holds the platform's data: "Database:Provider" = Sqlite (the embedded default, a file in the
/// data directory) or Postgres (a server that several web and worker processes on other machines share), and
/// "ConnectionStrings:Platform" (override with ConnectionStrings__Platform).
/// </summary>
public sealed class DatabaseOptions : IValidatableObject
{
    public const string Section = "Database";
    public const string ConnectionStringName = "Platform";
    public const string ConnectionStringKey = "ConnectionStrings:" + ConnectionStringName;
    public const string Sqlite = "Sqlite";
    public const string Postgres = "Postgres";

    public string Provider { get; set; } = Sqlite;

    /// <summary>From <see cref="ConnectionStringKey"/>, copied in at start-up (not bound from this section).</summary>
    public string? ConnectionString { get; internal set; }

    public bool IsPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IsPostgres && !string.Equals(Provider, Sqlite, StringComparison.OrdinalIgnoreCase))
        {
            yield return new ValidationResult($"'{Provider}' is not a database provider: use {Sqlite} or {Postgres}", [nameof(Provider)]);
        }
        else if (IsPostgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                $"{ConnectionStringKey} must be set when {Section}:{nameof(Provider)} = {Postgres} (e.g. Host=db;Database=labelplatform;Username=labelplatform)");
        }
        else if (IsPostgres && !IsValidNpgsql(ConnectionString!, out var problem))
        {
            yield return new ValidationResult($"{ConnectionStringKey} is not a PostgreSQL connection string: {problem}");
        }
    }

    private static bool IsValidNpgsql(string connectionString, out string problem)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            problem = "";
            return true;
        }
        catch (ArgumentException e)
        {
            problem = e.Message;
            return false;
        }
    }
}
