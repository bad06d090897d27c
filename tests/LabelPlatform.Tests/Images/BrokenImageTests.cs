using System.Buffers.Binary;
using LabelPlatform.Core.Images;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace LabelPlatform.Tests.Images;

/// <summary>Accepted means fully decoded, upright and decodable by a browser: files that only look complete are refused.</summary>
public class BrokenImageTests
{
    private static readonly ImageValidator Validator = new(Options.Create(new ImageValidationOptions()));

    private static byte[] Photo(int width, int height, int seed = 1)
    {
        using var image = new Image<Rgb24>(width, height);
        var random = new Random(seed);
        // Noise: every block carries data, as in a photo, so a cut removes real blocks.
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)((x * 7) ^ y), (byte)random.Next(256));
            }
        }

        using var output = new MemoryStream();
        image.Save(output, new JpegEncoder { Quality = 90 });
        return output.ToArray();
    }

    [Fact]
    public void A_photo_cut_short_is_refused_although_its_exif_thumbnail_ends_with_an_end_of_image_marker()
    {
        var photo = Photo(1600, 1200);
        var thumbnail = Photo(120, 90, seed: 2);
        // APP1 "Exif" whose payload carries a complete JPEG thumbnail (its own FF D9 at its end).
        var payload = new byte[6 + 8 + thumbnail.Length];
        "Exif\0\0"u8.CopyTo(payload);
        "II*\0\x08\0\0\0"u8.CopyTo(payload.AsSpan(6));
        thumbnail.CopyTo(payload.AsSpan(14));
        var app1 = new byte[4 + payload.Length];
        app1[0] = 0xFF;
        app1[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(app1.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(app1.AsSpan(4));
        byte[] withExif = [.. photo[..2], .. app1, .. photo[2..]];
        var cut = withExif[..(2 + app1.Length + 400)]; // the thumbnail's marker sits in the last 1,024 bytes

        var check = Validator.Check(cut);

        Assert.True(Validator.Check(withExif).Accepted, "the complete photo must pass");
        Assert.False(check.Accepted, "a 1600x1200 photo cut to a few KB was accepted");
        Assert.Contains("truncated JPEG", check.RejectionReason);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.99)]
    public void A_cut_jpeg_with_an_end_of_image_marker_appended_is_refused(double keep)
    {
        var photo = Photo(320, 240);
        byte[] cut = [.. photo[..(int)(photo.Length * keep)], 0xFF, 0xD9];

        var check = Validator.Check(cut);

        Assert.False(check.Accepted);
        Assert.Contains("image data stops after", check.RejectionReason);
    }

    [Fact]
    public void A_png_whose_image_data_inflates_to_10_bytes_for_64x64_is_refused()
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, 64);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), 64);
        ihdr[8] = 8;
        ihdr[9] = 2;
        TestImages.WritePngChunk(png, "IHDR", ihdr);
        TestImages.WritePngChunk(png, "IDAT", HostileImages.Deflate(10));
        TestImages.WritePngChunk(png, "IEND", []);

        var check = Validator.Check(png.ToArray());

        Assert.False(check.Accepted);
        Assert.Contains("inflates to 10 of the 12,352 bytes", check.RejectionReason);
    }

    [Fact]
    public void A_webp_whose_canvas_differs_from_its_image_is_refused()
    {
        var simple = TestImages.Webp(64, 48); // RIFF size WEBP, then one VP8/VP8L chunk
        var frame = simple[12..];
        var vp8x = new byte[18];
        "VP8X"u8.CopyTo(vp8x);
        BinaryPrimitives.WriteUInt32LittleEndian(vp8x.AsSpan(4), 10);
        WriteUInt24(vp8x.AsSpan(12), 200 - 1); // canvas 200x100, image 64x48
        WriteUInt24(vp8x.AsSpan(15), 100 - 1);
        var riff = new byte[12];
        "RIFF"u8.CopyTo(riff);
        BinaryPrimitives.WriteUInt32LittleEndian(riff.AsSpan(4), (uint)(4 + vp8x.Length + frame.Length));
        "WEBP"u8.CopyTo(riff.AsSpan(8));

        var check = Validator.Check([.. riff, .. vp8x, .. frame]);

        Assert.False(check.Accepted);
        Assert.Contains("canvas 200x100 does not match its image 64x48", check.RejectionReason);
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }

    [Theory]
    [InlineData(0xC0, 12, "12-bit JPEG")]
    [InlineData(0xC3, 8, "lossless JPEG")]
    [InlineData(0xC9, 8, "arithmetic-coded JPEG")]
    public void Jpeg_coding_processes_browsers_do_not_decode_are_refused(byte sof, byte precision, string reason)
    {
        var jpeg = TestImages.Jpeg();
        var at = jpeg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xC0]);
        jpeg[at + 1] = sof;
        jpeg[at + 4] = precision;

        var check = Validator.Check(jpeg);

        Assert.False(check.Accepted);
        Assert.Contains(reason, check.RejectionReason);
    }

    [Fact]
    public void An_exif_rotated_phone_photo_is_stored_thumbnailed_and_embedded_upright()
    {
        // Stored 64x32 with the left half red; EXIF orientation 6 says "rotate 90 degrees clockwise to view".
        using var landscape = new Image<Rgb24>(64, 32);
        for (var y = 0; y < 32; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                landscape[x, y] = x < 32 ? new Rgb24(255, 0, 0) : new Rgb24(0, 0, 255);
            }
        }

        landscape.Metadata.ExifProfile = new ExifProfile();
        landscape.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        using var output = new MemoryStream();
        landscape.Save(output, new JpegEncoder { Quality = 95 });

        var check = Validator.Check(output.ToArray());
        using var thumbnail = Image.Load<Rgb24>(check.Image!.Thumbnail);
        using var embedded = ImageFlattening.LoadRgb(Validator.DecoderConfiguration, output.ToArray(), Color.White);

        Assert.Equal((32, 64), (check.Image.Width, check.Image.Height));
        Assert.True(thumbnail.Height > thumbnail.Width, $"thumbnail is {thumbnail.Width}x{thumbnail.Height}");
        Assert.Equal((32, 64), (embedded.Width, embedded.Height));
        // Rotated clockwise, the left (red) half becomes the top.
        Assert.True(embedded[16, 8].R > 200 && embedded[16, 8].B < 60, $"top is {embedded[16, 8]}");
        Assert.True(embedded[16, 56].B > 200 && embedded[16, 56].R < 60, $"bottom is {embedded[16, 56]}");
    }

    [Fact]
    public void A_fifth_of_caltech_101_passes_the_structure_walk()
    {
        // Every fifth file in name order (all 9,144 pass; a fifth keeps the test short).
        var files = Directory.EnumerateFiles(TestImages.CaltechRoot, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Where((_, i) => i % 5 == 0).ToList();
        Assert.True(files.Count > 1800, $"{files.Count} files");

        var refused = files.Select(f => (File: f, Problem: JpegStructure.Problem(File.ReadAllBytes(f)))).Where(r => r.Problem is not null).ToList();

        Assert.True(refused.Count == 0, string.Join("\n", refused.Take(10).Select(r => $"{r.File}: {r.Problem}")));
    }
}
