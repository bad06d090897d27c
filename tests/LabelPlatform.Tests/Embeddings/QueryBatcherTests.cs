using System.Diagnostics;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Embeddings;

/// <summary>Search uploads coalesced into shared inference calls: each caller must still get its own image's vector.</summary>
public class QueryBatcherTests
{
    private static readonly string[] Classes = ["accordion", "anchor", "Faces", "airplanes", "brain", "camera", "chair", "dolphin"];

    private static Dictionary<string, string?> Batching(int maxBatch, string maxWait) => new()
    {
        // One session: queries queue behind each other, so they must share calls.
        ["Embeddings:SessionsPerModel"] = "1",
        ["Embeddings:QueryBatching:MaxBatch"] = maxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Embeddings:QueryBatching:MaxWait"] = maxWait,
    };

    private static async Task<(EmbeddingModel Model, List<float[]> Inputs, List<float[]> Alone)> PrepareAsync(CorePlatform platform)
    {
        var model = (await platform.Get<ModelRegistry>().FindOrRegisterBuiltInAsync(ModelRegistry.MobileNetV2))!;
        var preprocessor = platform.Get<ImagePreprocessor>();
        var embedder = platform.Get<OnnxEmbedder>();
        var inputs = new List<float[]>();
        var alone = new List<float[]>();
        foreach (var name in Classes)
        {
            var input = new float[ImagePreprocessor.InputLength(model.Preprocessing)];
            preprocessor.Fill(await File.ReadAllBytesAsync(TestImages.CaltechFiles(name, 1).First()), model.Preprocessing, input);
            inputs.Add(input);
            alone.Add((await embedder.EmbedAsync(model, input, 1, CancellationToken.None))[0]!);
        }

        return (model, inputs, alone);
    }

    private static float Dot(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();

    /// <summary>Its own image's unbatched vector, and closer to it than to any other caller's.</summary>
    private static void AssertOwn(float[] got, int own, List<float[]> alone)
    {
        Assert.True(Dot(got, alone[own]) > 0.9999f, $"caller {own}: cosine {Dot(got, alone[own])} to its own unbatched vector");
        for (var other = 0; other < alone.Count; other++)
        {
            if (other != own)
            {
                Assert.True(Dot(got, alone[other]) < 0.99f, $"caller {own} got a vector like caller {other}'s");
            }
        }
    }

    [Fact]
    public async Task Concurrent_queries_share_calls_and_each_caller_gets_its_own_vector()
    {
        await using var platform = await CorePlatform.StartAsync(Batching(8, "00:00:00.050"));
        var (model, inputs, alone) = await PrepareAsync(platform);
        var batcher = platform.Get<QueryBatcher>();

        var got = await Task.WhenAll(inputs.Select(input => Task.Run(() => batcher.EmbedAsync(model, input, CancellationToken.None))));

        for (var i = 0; i < got.Length; i++)
        {
            AssertOwn(got[i]!, i, alone);
        }

        var (calls, queries) = batcher.Counts;
        Assert.Equal(inputs.Count, queries);
        Assert.True(calls < inputs.Count, $"{calls} calls for {queries} concurrent queries: nothing was batched");
    }

    [Fact]
    public async Task A_cancelled_or_refused_caller_does_not_break_the_others_in_its_batch()
    {
        await using var platform = await CorePlatform.StartAsync(Batching(8, "00:00:00.050"));
        var (model, inputs, alone) = await PrepareAsync(platform);
        var batcher = platform.Get<QueryBatcher>();
        using var gaveUp = new CancellationTokenSource();
        // Not one image's worth of input: refused, while the others it was sent among are answered.
        var broken = new float[inputs[0].Length / 2];

        var cancelled = batcher.EmbedAsync(model, inputs[0], gaveUp.Token);
        var failing = batcher.EmbedAsync(model, broken, CancellationToken.None);
        var others = Enumerable.Range(1, inputs.Count - 1).Select(i => batcher.EmbedAsync(model, inputs[i], CancellationToken.None)).ToList();
        await gaveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await Assert.ThrowsAsync<ArgumentException>(() => failing);
        for (var i = 0; i < others.Count; i++)
        {
            AssertOwn((await others[i])!, i + 1, alone);
        }

        // The lane still works after the cancellation.
        AssertOwn((await batcher.EmbedAsync(model, inputs[0], CancellationToken.None))!, 0, alone);
    }

    [Fact]
    public async Task A_lone_query_waits_at_most_the_configured_time_for_company()
    {
        await using var platform = await CorePlatform.StartAsync(Batching(64, "00:00:00.050"));
        var (model, inputs, alone) = await PrepareAsync(platform);
        var batcher = platform.Get<QueryBatcher>();
        await batcher.EmbedAsync(model, inputs[1], CancellationToken.None);

        var clock = Stopwatch.StartNew();
        var vector = await batcher.EmbedAsync(model, inputs[0], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        clock.Stop();

        AssertOwn(vector!, 0, alone);
        // 50 ms of waiting plus one inference; a batcher that waited for a full batch of 64 would never answer.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"a lone query took {clock.Elapsed.TotalMilliseconds:0} ms");
    }

    [Theory]
    [InlineData("Embeddings:QueryBatching:MaxWait", "00:00:01")]
    [InlineData("Embeddings:QueryBatching:MaxBatch", "0")]
    public async Task Out_of_range_batching_settings_are_refused_at_start(string key, string value)
    {
        await using var platform = await CorePlatform.StartAsync(new() { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => platform.Get<Microsoft.Extensions.Options.IOptions<QueryBatchingOptions>>().Value);

        Assert.Contains(key.Split(':')[^1], error.Message, StringComparison.Ordinal);
    }
}
