using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace LabelPlatform.Core.Data;

/// <summary>
/// The model differences between the two database engines, in one place; entity configurations stay provider-neutral
/// (and were written for SQLite first, so its migrations never change).
/// </summary>
internal static partial class ProviderConventions
{
    public const string NpgsqlProvider = "Npgsql.EntityFrameworkCore.PostgreSQL";

    public static bool IsNpgsql(string? providerName) => providerName == NpgsqlProvider;

    public static void Apply(ModelBuilder builder, string? providerName)
    {
        if (IsNpgsql(providerName))
        {
            RewriteBooleanFilters(builder);
            WriteTimestampsAsUtc(builder);
        }
        else
        {
            StoreTimestampsAsTicks(builder);
        }
    }

    /// <summary>SQLite cannot order or compare DateTimeOffset natively; store UTC ticks so ORDER BY and ranges work.</summary>
    private static void StoreTimestampsAsTicks(ModelBuilder builder)
    {
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties().Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
            {
                property.SetValueConverter(new DateTimeOffsetToBinaryConverter());
            }
        }
    }

    /// <summary>
    /// timestamptz takes only UTC offsets (Npgsql refuses others rather than shift them); the platform writes UTC, and
    /// a value from elsewhere is normalised here instead of failing a job.
    /// </summary>
    private static void WriteTimestampsAsUtc(ModelBuilder builder)
    {
        var converter = new ValueConverter<DateTimeOffset, DateTimeOffset>(v => v.ToUniversalTime(), v => v);
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties().Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
            {
                property.SetValueConverter(converter);
            }
        }
    }

    /// <summary>
    /// Index filters compare booleans with 1/0 (SQLite stores them as integers); PostgreSQL has no boolean = integer,
    /// so "Flag" = 1 becomes "Flag" and "Flag" = 0 becomes NOT "Flag".
    /// </summary>
    private static void RewriteBooleanFilters(ModelBuilder builder)
    {
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            var flags = entity.GetProperties().Where(p => p.ClrType == typeof(bool)).Select(p => p.GetColumnName()).ToHashSet(StringComparer.Ordinal);
            foreach (var index in entity.GetIndexes().Where(i => i.GetFilter() is not null))
            {
                var filter = BooleanComparison().Replace(index.GetFilter()!, m =>
                    !flags.Contains(m.Groups["column"].Value) ? m.Value : m.Groups["value"].Value == "1" ? $"\"{m.Groups["column"].Value}\"" : $"NOT \"{m.Groups["column"].Value}\"");
                index.SetFilter(filter);
            }
        }
    }

    [GeneratedRegex("\"(?<column>[^\"]+)\" = (?<value>[01])\\b")]
    private static partial Regex BooleanComparison();

    /// <summary>A timestamp as a raw SQL parameter: ticks on SQLite (see <see cref="StoreTimestampsAsTicks"/>), itself on PostgreSQL.</summary>
    public static object StoredTimestamp(Microsoft.EntityFrameworkCore.Infrastructure.DatabaseFacade database, DateTimeOffset value) =>
        IsNpgsql(database.ProviderName) ? value : new DateTimeOffsetToBinaryConverter().ConvertToProvider(value)!;
}
