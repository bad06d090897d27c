using System.Data;
using System.Data.Common;
using System.Runtime.InteropServices;
using LabelPlatform.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Core.Search;

/// <summary>One page of a dataset's vectors for a model, past an embedding id: rows in id order, vectors row-major.</summary>
internal sealed record EmbeddingPage(long[] ImageIds, int?[] Classes, float[] Vectors, long LastEmbeddingId)
{
    public int Count => ImageIds.Length;
}

/// <summary>
/// Reads the index's new vectors by keyset pagination (embedding id above the last one read) with a plain data
/// reader: each vector's bytes go straight into the page's float buffer. EF materialised an object and a 5 KB byte
/// array per row, which made the first load of 100k 1280-d vectors from PostgreSQL five times the raw read.
/// Identifiers are quoted the way both providers accept.
/// </summary>
internal static class EmbeddingPageReader
{
    public const int PageRows = 16_384;

    private const string Sql = """
        SELECT e."Id", e."ImageId", i."SourceClassId", e."Vector"
        FROM "Embeddings" e JOIN "Images" i ON i."Id" = e."ImageId"
        WHERE e."ModelId" = @model AND e."Id" > @last AND i."DatasetId" = @dataset
        ORDER BY e."Id"
        LIMIT @limit
        """;

    public static async Task<EmbeddingPage?> ReadAsync(PlatformDbContext db, int datasetId, int modelId, int dimension, long after, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        Add(command, "@model", modelId);
        Add(command, "@last", after);
        Add(command, "@dataset", datasetId);
        Add(command, "@limit", PageRows);
        var ids = new List<long>();
        var classes = new List<int?>();
        var vectors = new float[PageRows * dimension];
        var width = dimension * sizeof(float);
        var buffer = new byte[width];
        long last = after;
        await using (var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                last = reader.GetInt64(0);
                var row = ids.Count;
                ids.Add(reader.GetInt64(1));
                classes.Add(await reader.IsDBNullAsync(2, cancellationToken) ? null : reader.GetInt32(2));
                var target = MemoryMarshal.AsBytes(vectors.AsSpan(row * dimension, dimension));
                var read = reader.GetBytes(3, 0, buffer, 0, width);
                if (read != width)
                {
                    throw new InvalidDataException($"embedding {last} holds {read} bytes, not {width} ({dimension} floats)");
                }

                buffer.CopyTo(target);
            }
        }

        return ids.Count == 0 ? null : new EmbeddingPage([.. ids], [.. classes], ids.Count == PageRows ? vectors : vectors[..(ids.Count * dimension)], last);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
