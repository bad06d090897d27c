using System.Diagnostics;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Images;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Images;

/// <summary>
/// A PNG whose compressed text (or ICC profile) chunk inflates to 300 MB costs under 1 s and 100 MB wherever an image
/// enters: the validator (imports, crawled images, search uploads all call it), the embedding preprocessor (embed
/// jobs decode stored files again), and POST /api/search.
/// </summary>
public class MetadataBombTests
{
    private const long MaxAllocatedBytes = 100L * 1024 * 1024;
    private static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(1);

    private static readonly ImageValidator Validator = new(Options.Create(new ImageValidationOptions()));

    public static TheoryData<string> Chunks() => ["zTXt", "iTXt", "iCCP"];

    [Theory]
    [MemberData(nameof(Chunks))]
    public void The_validator_used_by_import_crawl_and_search_checks_a_bomb_within_budget(string chunk)
    {
        var bomb = HostileImages.PngMetadataBomb(chunk);
        Validator.Check(TestImages.Png()); // warm up the decoder, so the budget measures the file

        var (check, time, allocated) = Measure(() => Validator.Check(bomb));

        Assert.True(time < MaxTime, $"{HostileImages.Describe(bomb)}: {time.TotalMilliseconds:0} ms");
        Assert.True(allocated < MaxAllocatedBytes, $"{HostileImages.Describe(bomb)}: {allocated / 1048576.0:0} MB allocated");
        // Either outcome is fine as long as it is cheap: the pixels are valid, the metadata is never inflated.
        Assert.True(check.Accepted || !string.IsNullOrEmpty(check.RejectionReason));
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public void The_embedding_preprocessor_decodes_a_stored_bomb_within_budget(string chunk)
    {
        var bomb = HostileImages.PngMetadataBomb(chunk);
        var preprocessor = new ImagePreprocessor(Validator);
        var p = new Preprocessing { InputWidth = 224, InputHeight = 224 };
        var input = new float[ImagePreprocessor.InputLength(p)];
        preprocessor.Fill(TestImages.Png(), p, input);

        var (_, time, allocated) = Measure(() => { preprocessor.Fill(bomb, p, input); return 0; });

        Assert.True(time < MaxTime, $"{HostileImages.Describe(bomb)}: {time.TotalMilliseconds:0} ms");
        Assert.True(allocated < MaxAllocatedBytes, $"{HostileImages.Describe(bomb)}: {allocated / 1048576.0:0} MB allocated");
        Assert.Contains(input, v => v != 0);
    }

    private static (T Result, TimeSpan Time, long Allocated) Measure<T>(Func<T> action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var result = action();
        watch.Stop();
        return (result, watch.Elapsed, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
