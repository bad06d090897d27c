using System.Diagnostics;
using System.Text;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Core.Images;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace LabelPlatform.Tests.Images;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostileImageCollection
{
    public const string Name = "Hostile images (memory measured alone)";
}

/// <summary>
/// The standing hostile-image suite: several hundred files built in code (bombs, truncations at many offsets, byte
/// flips, polyglots, random bytes, absurd headers) plus real Caltech photos go through the validator, and what it
/// accepts through the embedding preprocessor. Each is accepted or refused with a reason, nothing throws, and memory
/// stays flat however many files pass. Counts go to TestResults/hostile/images.txt.
/// </summary>
[Collection(HostileImageCollection.Name)]
public class HostileImageSuiteTests
{
    private static IEnumerable<(string Name, byte[] Bytes)> Corpus()
    {
        var random = new Random(12);
        var bases = new (string Name, byte[] Bytes)[]
        {
            ("jpeg", File.ReadAllBytes(Path.Combine(TestImages.CaltechRoot, "accordion", "image_0001.jpg"))),
            ("png", TestImages.Png(200, 150)), ("gif", TestImages.Gif(200, 150)), ("bmp", TestImages.Bmp(200, 150)), ("webp", TestImages.Webp(200, 150)),
        };
        foreach (var (name, bytes) in bases)
        {
            for (var i = 1; i < 40; i++)
            {
                yield return ($"{name} cut at {i}/40", bytes[..(bytes.Length * i / 40)]);
            }

            for (var i = 0; i < 20; i++)
            {
                var flipped = (byte[])bytes.Clone();
                for (var j = 0; j < 1 + (i % 4); j++)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 + random.Next(255));
                }

                yield return ($"{name} with bytes flipped #{i}", flipped);
            }
        }

        var jpeg = bases[0].Bytes;
        for (var i = 1; i < 20; i++)
        {
            yield return ($"jpeg cut at {i}/20 with an end marker appended", [.. jpeg[..(jpeg.Length * i / 20)], 0xFF, 0xD9]);
        }

        foreach (var chunk in new[] { "zTXt", "iTXt", "iCCP" })
        {
            yield return ($"png {chunk} bomb (300 MB inflated)", HostileImages.PngMetadataBomb(chunk));
        }

        yield return ("png whose image data inflates to 300 MB", PngWithData(64, 64, HostileImages.Deflate(HostileImages.BombInflatedBytes)));
        yield return ("png whose image data inflates to 10 bytes", PngWithData(64, 64, HostileImages.Deflate(10)));
        yield return ("png declaring 100000x100000", TestImages.PngHeaderOnly(100_000, 100_000));
        yield return ("png declaring 0x0", TestImages.PngHeaderOnly(0, 0));
        yield return ("gif with 5000 frames", TestImages.GifWithFrames(5000));
        yield return ("gif frame 65535x65535 on a 1x1 screen", TestImages.GifWithFrames(1, frameWidth: 65535, frameHeight: 65535));
        yield return ("gif without a trailer", TestImages.GifWithFrames(3, trailer: false));
        yield return ("tiff", TestImages.Tiff());
        yield return ("html", Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>"));
        yield return ("svg", Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"));
        yield return ("jpeg followed by a zip", [.. jpeg, .. "PK\x03\x04 not really a zip"u8]);
        yield return ("gif header followed by script", [.. "GIF89a"u8, .. Encoding.UTF8.GetBytes("/*<script>alert(1)</script>*/")]);
        yield return ("png signature only", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        yield return ("jpeg start marker only", [0xFF, 0xD8, 0xFF]);
        yield return ("empty", []);
        for (var i = 0; i < 40; i++)
        {
            var noise = new byte[random.Next(1, 64 * 1024)];
            random.NextBytes(noise);
            if (i % 4 == 1)
            {
                "\xFF\xD8\xFF"u8.CopyTo(noise); // random data behind a JPEG start
            }
            else if (i % 4 == 2 && noise.Length > 8)
            {
                new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(noise, 0);
            }

            yield return ($"random bytes #{i}", noise);
        }

        foreach (var file in Directory.EnumerateFiles(TestImages.CaltechRoot, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Where((_, i) => i % 90 == 0))
        {
            yield return ($"caltech {Path.GetFileName(Path.GetDirectoryName(file))}/{Path.GetFileName(file)}", File.ReadAllBytes(file));
        }
    }

    private static byte[] PngWithData(uint width, uint height, byte[] zlib)
    {
        var header = TestImages.PngHeaderOnly(width, height);
        using var png = new MemoryStream();
        png.Write(header.AsSpan(0, 33));
        TestImages.WritePngChunk(png, "IDAT", zlib);
        TestImages.WritePngChunk(png, "IEND", []);
        return png.ToArray();
    }

    private sealed record Tally(int Tried, int Accepted, int Rejected, int RejectedWithoutReason, List<string> Crashes, double SlowestMs, string Slowest, List<string> AcceptedNames);

    private static Tally Run(IEnumerable<(string Name, byte[] Bytes)> files, ImageValidator validator, ImagePreprocessor preprocessor)
    {
        var p = new Preprocessing();
        var input = new float[ImagePreprocessor.InputLength(p)];
        int tried = 0, accepted = 0, rejected = 0, silent = 0;
        var crashes = new List<string>();
        var acceptedNames = new List<string>();
        var (slowestMs, slowest) = (0.0, "");
        foreach (var (name, bytes) in files)
        {
            tried++;
            var watch = Stopwatch.StartNew();
            try
            {
                var check = validator.Check(bytes);
                if (check.Accepted)
                {
                    accepted++;
                    acceptedNames.Add(name);
                    preprocessor.Fill(bytes, p, input); // an embed job decodes the stored file again
                }
                else
                {
                    rejected++;
                    silent += string.IsNullOrWhiteSpace(check.RejectionReason) ? 1 : 0;
                }
            }
            catch (Exception ex)
            {
                crashes.Add($"{name}: {ex.GetType().Name}: {ex.Message}");
            }

            if (watch.Elapsed.TotalMilliseconds > slowestMs)
            {
                (slowestMs, slowest) = (watch.Elapsed.TotalMilliseconds, name);
            }
        }

        return new Tally(tried, accepted, rejected, silent, crashes, slowestMs, slowest, acceptedNames);
    }

    [Fact]
    public void Every_hostile_file_is_accepted_or_refused_with_a_reason_and_memory_stays_flat()
    {
        var validator = new ImageValidator(Options.Create(new ImageValidationOptions()));
        var preprocessor = new ImagePreprocessor(validator);
        var corpus = Corpus().ToList();
        // The test host's own peak includes every test before this one, so measure growth over a baseline instead: an
        // aggressive collection first hands free memory back to the system, so what the suite needs must be taken anew.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        long baseline;
        using (var self = Process.GetCurrentProcess())
        {
            baseline = self.WorkingSet64;
        }

        using var sampler = new PeakSampler();

        var first = Run(corpus, validator, preprocessor);
        var peakAfterOnePass = sampler.PeakWorkingSet;
        var second = Run(corpus.Concat(corpus), validator, preprocessor); // three times the files in all
        var peakAfterThreePasses = sampler.PeakWorkingSet;

        var mb = 1024.0 * 1024;
        HostileReport.Write("images",
        [
            $"files tried: {first.Tried} (then {second.Tried} more: the same corpus twice, to show memory stays flat)",
            $"accepted: {first.Accepted} (Caltech photos and intact files among the flips)",
            $"rejected with a reason: {first.Rejected - first.RejectedWithoutReason}",
            $"rejected without a reason: {first.RejectedWithoutReason}",
            $"crashes: {first.Crashes.Count + second.Crashes.Count}",
            $"peak working set above the test host's baseline ({baseline / mb:0} MB after a full collection): {(peakAfterOnePass - baseline) / mb:0} MB after {first.Tried} files; {(peakAfterThreePasses - baseline) / mb:0} MB after {first.Tried + second.Tried}",
            $"peak managed heap (whole test host): {sampler.PeakManaged / mb:0} MB",
            $"slowest file: {first.SlowestMs:0} ms ({first.Slowest})",
            $"accepted besides Caltech photos: {string.Join("; ", first.AcceptedNames.Where(n => !n.StartsWith("caltech", StringComparison.Ordinal)))}",
        ]);

        Assert.True(first.Tried >= 400, $"only {first.Tried} files");
        Assert.Empty(first.Crashes.Concat(second.Crashes));
        Assert.Equal(0, first.RejectedWithoutReason);
        Assert.Equal((first.Accepted * 2, first.Rejected * 2), (second.Accepted, second.Rejected)); // deterministic
        Assert.True(first.Accepted > 50 && first.Rejected > 250, $"accepted {first.Accepted}, rejected {first.Rejected}");
        Assert.True(peakAfterThreePasses <= peakAfterOnePass + (64 * 1024 * 1024), $"memory grew with the file count: {peakAfterOnePass / mb:0} MB -> {peakAfterThreePasses / mb:0} MB");
        Assert.True(first.SlowestMs < 5000, $"{first.Slowest} took {first.SlowestMs:0} ms");
    }

    /// <summary>Samples the process's working set and managed heap every 10 ms while the suite runs.</summary>
    private sealed class PeakSampler : IDisposable
    {
        private readonly Timer _timer;
        private long _peakWorkingSet;
        private long _peakManaged;

        public PeakSampler() => _timer = new Timer(_ => Sample(), null, 0, 10);

        public long PeakWorkingSet
        {
            get
            {
                Sample();
                return Interlocked.Read(ref _peakWorkingSet);
            }
        }

        public long PeakManaged => Interlocked.Read(ref _peakManaged);

        private void Sample()
        {
            using var process = Process.GetCurrentProcess();
            InterlockedMax(ref _peakWorkingSet, process.WorkingSet64);
            InterlockedMax(ref _peakManaged, GC.GetTotalMemory(false));
        }

        private static void InterlockedMax(ref long target, long value)
        {
            long seen;
            while (value > (seen = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }

        public void Dispose() => _timer.Dispose();
    }
}
