using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LabelPlatform.Core.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Images;

public class ImageValidatorTests
{
    private static ImageValidator Validator(ImageValidationOptions? options = null) =>
        new(Microsoft.Extensions.Options.Options.Create(options ?? new ImageValidationOptions()));

    public static TheoryData<string> AllowedFormats => ["JPEG", "PNG", "GIF", "BMP", "WEBP"];

    private static byte[] Sample(string format, int width = 64, int height = 48) => format switch
    {
        "JPEG" => TestImages.Jpeg(width, height),
        "PNG" => TestImages.Png(width, height),
        "GIF" => TestImages.Gif(width, height),
        "BMP" => TestImages.Bmp(width, height),
        "WEBP" => TestImages.Webp(width, height),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    [Theory]
    [MemberData(nameof(AllowedFormats))]
    public void Accepts_each_allowed_format_with_its_original_size_hash_and_type(string format)
    {
        var bytes = Sample(format);

        var check = Validator().Check(bytes);

        Assert.True(check.Accepted, check.RejectionReason);
        Assert.Null(check.RejectionReason);
        var image = check.Image!;
        Assert.Equal(format, image.Format);
        Assert.Equal(ImageStore.ContentType(format), image.ContentType);
        // The size of the file, not of the thumbnail made from it.
        Assert.Equal(64, image.Width);
        Assert.Equal(48, image.Height);
        Assert.Equal(bytes.Length, image.Bytes);
        var expectedSha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(expectedSha, image.Sha256);
        Assert.Equal(expectedSha, check.Sha256);
    }

    public static TheoryData<string> CaltechSamples => [.. TestImages.CaltechSamples()];

    [Theory]
    [MemberData(nameof(CaltechSamples))]
    public void Accepts_real_Caltech_photographs(string path)
    {
        Assert.True(File.Exists(path), $"shared test data missing: {path}");
        var bytes = File.ReadAllBytes(path);
        // Expected size from ImageSharp's own header read, independent of the validator's configuration.
        var info = Image.Identify(bytes);

        var check = Validator().Check(bytes);

        Assert.True(check.Accepted, check.RejectionReason);
        Assert.Equal("JPEG", check.Image!.Format);
        Assert.Equal(info.Width, check.Image.Width);
        Assert.Equal(info.Height, check.Image.Height);
    }

    [Fact]
    public void Rejects_an_empty_file()
    {
        var check = Validator().Check([]);

        Assert.False(check.Accepted);
        Assert.Contains("empty", check.RejectionReason);
        Assert.Contains("0 bytes", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_text_file_named_jpg()
    {
        using var folder = new TempFolder();
        var path = folder.Combine("holiday.jpg");
        File.WriteAllText(path, "This is not a photograph, whatever its name says.\n");

        var check = Validator().Check(File.ReadAllBytes(path));

        Assert.False(check.Accepted);
        Assert.Contains("not an image", check.RejectionReason);
        Assert.NotNull(check.Sha256);
    }

    [Fact]
    public void Rejects_TIFF_naming_it_as_not_allowed()
    {
        var check = Validator().Check(TestImages.Tiff());

        Assert.False(check.Accepted);
        Assert.Contains("TIFF", check.RejectionReason);
        Assert.Contains("not allowed", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_JPEG_cut_in_half()
    {
        // 640x480 so that the cut falls in the entropy-coded data, past every header segment.
        var jpeg = TestImages.Jpeg(640, 480);

        var check = Validator().Check(jpeg[..(jpeg.Length / 2)]);

        Assert.False(check.Accepted);
        Assert.Contains("truncated JPEG", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_JPEG_cut_inside_its_headers()
    {
        // The first 200 bytes hold only SOI, APP0, DQT and part of the following segments: the missing end marker is
        // named before the header is read, since that is the cause.
        var check = Validator().Check(TestImages.Jpeg()[..200]);

        Assert.False(check.Accepted);
        Assert.StartsWith("truncated JPEG", check.RejectionReason);
    }

    [Theory]
    [MemberData(nameof(CaltechSamples))]
    public void Rejects_a_Caltech_photograph_cut_in_half(string path)
    {
        Assert.True(File.Exists(path), $"shared test data missing: {path}");
        var bytes = File.ReadAllBytes(path);

        var check = Validator().Check(bytes[..(bytes.Length / 2)]);

        Assert.False(check.Accepted);
        Assert.Contains("truncated JPEG", check.RejectionReason);
    }

    [Theory]
    [InlineData("PNG", 0.5)]
    [InlineData("PNG", 0.99)]
    [InlineData("BMP", 0.5)]
    [InlineData("BMP", 0.99)]
    [InlineData("WEBP", 0.5)]
    [InlineData("WEBP", 0.99)]
    public void Rejects_PNG_BMP_and_WebP_files_that_are_cut_short(string format, double kept)
    {
        // ImageSharp decodes all three without an error when their end is missing; only the structure tells.
        var bytes = Sample(format, 320, 240);

        var check = Validator().Check(bytes[..(int)(bytes.Length * kept)]);

        Assert.False(check.Accepted);
        Assert.Contains($"truncated {format}", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_PNG_declaring_100000x100000_from_its_header_alone()
    {
        var png = TestImages.PngHeaderOnly(100_000, 100_000);

        var check = Validator().Check(png);

        Assert.False(check.Accepted);
        Assert.Contains("100000x100000", check.RejectionReason);
        Assert.Contains("cap", check.RejectionReason);
    }

    [Fact]
    public void Test_CRC32_helper_matches_known_values()
    {
        // Check values: "123456789" is the standard CRC-32 check input; every PNG ends in IEND with CRC AE 42 60 82.
        Assert.Equal(0xCBF43926u, TestImages.Crc32("123456789"u8));
        Assert.Equal(0xAE426082u, TestImages.Crc32("IEND"u8));
    }

    [Fact]
    public void Rejects_a_PNG_whose_IHDR_CRC_is_wrong()
    {
        var png = TestImages.PngHeaderOnly(64, 48);
        png[8 + 8 + 13] ^= 0xFF; // signature (8), chunk length and type (8), IHDR data (13): first CRC byte

        var check = Validator().Check(png);

        Assert.False(check.Accepted);
        Assert.Contains("CRC", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_GIF_with_3000_frames_before_decoding_it()
    {
        var gif = TestImages.GifWithFrames(3000);
        Assert.True(gif.Length < 64 * 1024, "the bomb itself stays small");

        var check = Validator().Check(gif);

        Assert.False(check.Accepted);
        Assert.Contains("more than 1000 frames", check.RejectionReason);
    }

    [Fact]
    public void Accepts_a_GIF_at_the_frame_cap_and_rejects_one_frame_more()
    {
        var options = new ImageValidationOptions { MaxGifFrames = 10 };

        var atCap = Validator(options).Check(TestImages.GifWithFrames(10));
        var overCap = Validator(options).Check(TestImages.GifWithFrames(11));

        Assert.True(atCap.Accepted, atCap.RejectionReason);
        Assert.Equal(1, atCap.Image!.Width);
        Assert.False(overCap.Accepted);
        Assert.Contains("frames", overCap.RejectionReason);
    }

    [Fact]
    public void Rejects_a_GIF_that_breaks_off_inside_a_frame()
    {
        var gif = TestImages.GifWithFrames(5);

        // Drop the trailer and the last frame's final two bytes (LZW data 01 and the block terminator).
        var check = Validator().Check(gif[..^3]);

        Assert.False(check.Accepted);
        Assert.Contains("truncated GIF", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_GIF_without_any_frame()
    {
        var check = Validator().Check(TestImages.GifWithFrames(0));

        Assert.False(check.Accepted);
        Assert.Contains("GIF", check.RejectionReason);
    }

    [Fact]
    public void Refuses_a_GIF_whose_frame_is_larger_than_its_screen_before_decoding_it()
    {
        // The frame declares 65535x65535 (4 GB of indices) on a 1x1 screen: ImageSharp clips it, browsers show nothing.
        var gif = TestImages.GifWithFrames(1, frameWidth: 65535, frameHeight: 65535);

        var check = Validator(new ImageValidationOptions { MaxDecodeMegabytes = 16 }).Check(gif);

        Assert.False(check.Accepted);
        Assert.Contains("outside its 1x1 screen", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_file_over_the_byte_cap_but_still_reports_its_hash()
    {
        var png = TestImages.Png();

        var check = Validator(new ImageValidationOptions { MaxFileBytes = 100 }).Check(png);

        Assert.False(check.Accepted);
        Assert.Contains("over the 100 bytes cap", check.RejectionReason);
        Assert.Equal(ImageValidator.Sha256Hex(png), check.Sha256);
    }

    [Fact]
    public void Rejects_width_over_the_cap()
    {
        var check = Validator(new ImageValidationOptions { MaxWidth = 32 }).Check(TestImages.Png());

        Assert.False(check.Accepted);
        Assert.Contains("64x48", check.RejectionReason);
        Assert.Contains("32x16384 cap", check.RejectionReason);
    }

    [Fact]
    public void Rejects_height_over_the_cap()
    {
        var check = Validator(new ImageValidationOptions { MaxHeight = 40 }).Check(TestImages.Png());

        Assert.False(check.Accepted);
        Assert.Contains("64x48", check.RejectionReason);
        Assert.Contains("16384x40 cap", check.RejectionReason);
    }

    [Fact]
    public void Rejects_pixel_count_over_the_cap()
    {
        // 64 x 48 = 3,072 pixels.
        var check = Validator(new ImageValidationOptions { MaxPixels = 3_000 }).Check(TestImages.Png());

        Assert.False(check.Accepted);
        Assert.Contains("3,072 pixels", check.RejectionReason);
    }

    [Fact]
    public void Accepts_pixel_count_at_the_cap()
    {
        var check = Validator(new ImageValidationOptions { MaxPixels = 64 * 48 }).Check(TestImages.Png());

        Assert.True(check.Accepted, check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_side_under_the_minimum()
    {
        var check = Validator(new ImageValidationOptions { MinSide = 50 }).Check(TestImages.Png());

        Assert.False(check.Accepted);
        Assert.Contains("under the 50px minimum side", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_decode_over_the_memory_cap_naming_the_cap()
    {
        // 1000 x 1000 RGBA is 4 MB, over a 1 MB allocator cap; the other caps let it through to the decode.
        var check = Validator(new ImageValidationOptions { MaxDecodeMegabytes = 1 }).Check(TestImages.Png(1000, 1000));

        Assert.False(check.Accepted);
        Assert.Contains("1 MB memory cap", check.RejectionReason);
    }

    [Fact]
    public void Rejects_a_BMP_header_that_makes_ImageSharp_throw_InvalidOperationException()
    {
        // ImageSharp 2.1's BMP reader throws InvalidOperationException for sides over 65535; it must not escape Check.
        var bmp = TestImages.Bmp();
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), 70_000); // biWidth

        var check = Validator().Check(bmp);

        Assert.False(check.Accepted);
        Assert.Contains("70000x48", check.RejectionReason);
    }

    [Fact]
    public void Never_throws_on_corrupted_files()
    {
        // Seeded mutations of valid files; before the validator caught every decoder failure, this seed made
        // ImageSharp throw NullReferenceException out of Check three times (longer runs also hit DivideByZeroException).
        var validator = Validator(new ImageValidationOptions { MaxDecodeMegabytes = 64 });
        var seeds = new[] { TestImages.Jpeg(), TestImages.Png(), TestImages.Gif(), TestImages.Bmp(), TestImages.Webp() };
        var random = new Random(1234);
        var failures = new List<string>();
        for (var i = 0; i < 500; i++)
        {
            var bytes = (byte[])seeds[i % seeds.Length].Clone();
            switch (random.Next(3))
            {
                case 0: // headers: the first 200 bytes
                    for (var k = 0; k <= random.Next(8); k++)
                    {
                        bytes[random.Next(Math.Min(bytes.Length, 200))] = (byte)random.Next(256);
                    }

                    break;
                case 1:
                    for (var k = 0; k <= random.Next(8); k++)
                    {
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    }

                    break;
                default:
                    bytes = bytes[..random.Next(1, bytes.Length)];
                    break;
            }

            try
            {
                var check = validator.Check(bytes);
                if (!check.Accepted && string.IsNullOrWhiteSpace(check.RejectionReason))
                {
                    failures.Add($"#{i}: rejected without a reason");
                }
            }
            catch (Exception ex)
            {
                failures.Add($"#{i}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public void Thumbnail_is_a_JPEG_fitting_the_configured_size_with_the_aspect_ratio_kept()
    {
        var check = Validator(new ImageValidationOptions { ThumbnailSize = 32 }).Check(TestImages.Png());

        Assert.True(check.Accepted, check.RejectionReason);
        var thumbnail = Image.Identify(check.Image!.Thumbnail, out var format);
        Assert.Equal(JpegFormat.Instance, format);
        // 64x48 fitted into 32x32 keeps 4:3.
        Assert.Equal(32, thumbnail.Width);
        Assert.Equal(24, thumbnail.Height);
    }

    [Fact]
    public void Thumbnail_of_a_transparent_PNG_is_on_white()
    {
        using var transparent = new Image<Rgba32>(20, 20, new Rgba32(0, 0, 0, 0));
        using var stream = new MemoryStream();
        transparent.Save(stream, new PngEncoder());

        var check = Validator().Check(stream.ToArray());

        Assert.True(check.Accepted, check.RejectionReason);
        using var thumbnail = Image.Load<Rgb24>(check.Image!.Thumbnail);
        var centre = thumbnail[thumbnail.Width / 2, thumbnail.Height / 2];
        // JPEG is lossy: near-white, not black (what transparent pixels become without a background).
        Assert.True(centre.R > 240 && centre.G > 240 && centre.B > 240, $"centre pixel is {centre}");
    }

    [Fact]
    public void Truncation_accepts_complete_files_of_every_format()
    {
        foreach (var format in ImageValidator.AllowedFormats)
        {
            Assert.Null(ImageValidator.Truncation(format, Sample(format)));
        }
    }

    [Fact]
    public void Error_texts_name_the_allowed_formats()
    {
        var check = Validator().Check(Encoding.UTF8.GetBytes("GIF87 but not really"));

        Assert.False(check.Accepted);
        Assert.Contains("JPEG, PNG, GIF, BMP, WEBP", check.RejectionReason);
    }
}
