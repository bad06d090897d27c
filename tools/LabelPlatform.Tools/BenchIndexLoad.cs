using System.CommandLine;
using System.Data;
using System.Diagnostics;
using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Hardware;
using LabelPlatform.Core.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace LabelPlatform.Tools;

/// <summary>
/// `bench index-load --server CONN`: seeds N synthetic D-d unit vectors (images and embeddings, by COPY BINARY) into a
/// fresh PostgreSQL database, then times what a web process pays on its first query: SearchService loading them all
/// into its in-memory index, with the memory it holds, against a raw read of the same rows (the ceiling).
/// </summary>
internal static class BenchIndexLoad
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Npgsql connection string of the server (a database is created and dropped)", Required = true };
        var vectors = new Option<int>("--vectors") { DefaultValueFactory = _ => 1_000_000 };
        var dimension = new Option<int>("--dimension") { DefaultValueFactory = _ => 1280 };
        var keep = new Option<bool>("--keep") { Description = "Keep the database afterwards" };
        var command = new Command("index-load", "Time the search index's first load of N vectors from PostgreSQL against a raw read") { server, vectors, dimension, keep };
        command.SetAction(async (parse, ct) =>
        {
            var (n, d) = (parse.GetValue(vectors), parse.GetValue(dimension));
            var name = "lp_bench_index_" + Guid.NewGuid().ToString("N")[..8];
            var admin = new NpgsqlConnectionStringBuilder(parse.GetValue(server)) { Database = "postgres", Pooling = false }.ConnectionString;
            var connection = new NpgsqlConnectionStringBuilder(parse.GetValue(server)) { Database = name }.ConnectionString;
            await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"", ct);
            try
            {
                Console.WriteLine($"{n:N0} x {d} vectors into {name}; {Environment.ProcessorCount} cores; {CpuInfo.Current.Describe()}");
                var (datasetId, model) = await SeedAsync(connection, n, d, ct);
                Console.WriteLine($"raw read (ceiling)      {await RawReadAsync(connection, model.Id, d, ct):0.00} s");
                await using var services = Services(connection);
                var search = services.GetRequiredService<SearchService>();
                GC.Collect();
                var heapBefore = GC.GetTotalMemory(true);
                var watch = Stopwatch.StartNew();
                var index = await search.GetIndexAsync(datasetId, model, ct);
                var load = watch.Elapsed.TotalSeconds;
                var heapAfter = GC.GetTotalMemory(true);
                watch.Restart();
                await search.GetIndexAsync(datasetId, model, ct);
                var warm = watch.Elapsed.TotalMilliseconds;
                Console.WriteLine($"SearchService load      {load:0.00} s ({index.Count:N0} vectors, {index.Count / load:N0}/s)");
                Console.WriteLine($"index memory            {((ExactVectorIndex)index).MemoryBytes / 1048576.0:N0} MiB (managed heap grew {(heapAfter - heapBefore) / 1048576.0:N0} MiB; process peak {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB)");
                Console.WriteLine($"next sync (no new rows) {warm:0.0} ms");
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                if (!parse.GetValue(keep))
                {
                    await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", CancellationToken.None);
                }
            }

            return 0;
        });
        return command;
    }

    private static ServiceProvider Services(string connection)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Platform"] = connection,
            ["Storage:DataDirectory"] = Path.Combine(Path.GetTempPath(), "labelplatform-bench-index"),
        }).Build();
        return new ServiceCollection().AddLogging(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning))
            .AddPlatformCore(configuration, ContentRoot.Locate()).BuildServiceProvider();
    }

    private static async Task<(int DatasetId, EmbeddingModel Model)> SeedAsync(string connection, int n, int d, CancellationToken ct)
    {
        await using (var services = Services(connection))
        {
            await DatabaseInitializer.InitializeAsync(services, ct);
        }

        await using var provider = Services(connection);
        var watch = Stopwatch.StartNew();
        await using var db = await provider.GetRequiredService<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var dataset = new Dataset { Name = "bench-index", CreatedAt = now };
        var model = new EmbeddingModel
        {
            Name = "bench-index-model", Version = 1, Sha256 = new string('b', 64), SourceSha256 = new string('b', 64), Origin = "bench",
            InputName = "input", OutputName = "output", Dimension = d, CreatedAt = now,
        };
        db.AddRange(dataset, model);
        await db.SaveChangesAsync(ct);

        await using var pg = new NpgsqlConnection(connection);
        await pg.OpenAsync(ct);
        await using (var images = await pg.BeginBinaryImportAsync("COPY \"Images\" (\"DatasetId\", \"Sha256\", \"Format\", \"Origin\", \"Width\", \"Height\", \"Bytes\", \"Source\", \"CreatedAt\") FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < n; i++)
            {
                await images.WriteRowAsync(ct, dataset.Id, i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture), "JPEG", $"synthetic/{i}.jpg", 1, 1, 1L, 0, now);
            }

            await images.CompleteAsync(ct);
        }

        var ids = new List<long>(n);
        await using (var read = new NpgsqlCommand("SELECT \"Id\" FROM \"Images\" WHERE \"DatasetId\" = @d ORDER BY \"Id\"", pg) { Parameters = { new("d", dataset.Id) } })
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                ids.Add(reader.GetInt64(0));
            }
        }

        var synthetic = SyntheticEmbeddings.Clustered(d, 2026, 100, 1f);
        const int Batch = 1024;
        var floats = new float[Batch * d];
        var bytes = new byte[d * sizeof(float)];
        await using (var embeddings = await pg.BeginBinaryImportAsync("COPY \"Embeddings\" (\"ImageId\", \"ModelId\", \"Vector\", \"CreatedAt\") FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var start = 0; start < n; start += Batch)
            {
                var rows = Math.Min(Batch, n - start);
                synthetic.Fill(start, floats, rows);
                for (var r = 0; r < rows; r++)
                {
                    System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan(r * d, d)).CopyTo(bytes);
                    await embeddings.StartRowAsync(ct);
                    await embeddings.WriteAsync(ids[start + r], NpgsqlDbType.Bigint, ct);
                    await embeddings.WriteAsync(model.Id, NpgsqlDbType.Integer, ct);
                    await embeddings.WriteAsync(bytes, NpgsqlDbType.Bytea, ct);
                    await embeddings.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                }
            }

            await embeddings.CompleteAsync(ct);
        }

        await ExecuteAsync(connection, "VACUUM ANALYZE", ct);
        Console.WriteLine($"seed (COPY BINARY)      {watch.Elapsed.TotalSeconds:0.0} s");
        return (dataset.Id, model);
    }

    /// <summary>Every vector of the model read into one reused buffer: what any loader must at least pay.</summary>
    private static async Task<double> RawReadAsync(string connection, int modelId, int d, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        await using var pg = new NpgsqlConnection(connection);
        await pg.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT \"ImageId\", \"Vector\" FROM \"Embeddings\" WHERE \"ModelId\" = @m ORDER BY \"Id\"", pg) { Parameters = { new("m", modelId) } };
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        var buffer = new byte[d * sizeof(float)];
        long sum = 0;
        while (await reader.ReadAsync(ct))
        {
            sum += reader.GetInt64(0);
            reader.GetBytes(1, 0, buffer, 0, buffer.Length);
        }

        GC.KeepAlive(sum);
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task ExecuteAsync(string connection, string sql, CancellationToken ct)
    {
        await using var pg = new NpgsqlConnection(connection);
        await pg.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, pg);
        await command.ExecuteNonQueryAsync(ct);
    }
}
