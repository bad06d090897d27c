using LabelPlatform.Core.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

using LabelPlatform.Tests.Infrastructure;

namespace LabelPlatform.Tests.Images;

public class GifFrameCounterTests
{
    [Fact]
    public void Counts_the_frames_of_an_animated_GIF_written_by_ImageSharp()
    {
        // ImageSharp writes a NETSCAPE application extension, a graphic control extension per frame and local colour
        // tables where frames differ: all the block kinds the counter has to step over.
        using var image = new Image<Rgba32>(16, 16, new Rgba32(255, 0, 0));
        for (var i = 1; i < 5; i++)
        {
            using var frame = new Image<Rgba32>(16, 16, new Rgba32((byte)(i * 40), (byte)(255 - (i * 40)), 0));
            image.Frames.AddFrame(frame.Frames.RootFrame);
        }

        using var stream = new MemoryStream();
        image.Save(stream, new GifEncoder { ColorTableMode = GifColorTableMode.Local });

        Assert.Equal(5, GifFrameCounter.Count(stream.ToArray()));
    }

    [Fact]
    public void Counts_thousands_of_handmade_frames()
    {
        Assert.Equal(3000, GifFrameCounter.Count(TestImages.GifWithFrames(3000)));
    }

    [Fact]
    public void Stops_one_frame_past_the_limit()
    {
        // Count returns as soon as it has seen stopAfter + 1 frames, so the caller can tell "over the cap" cheaply.
        Assert.Equal(11, GifFrameCounter.Count(TestImages.GifWithFrames(3000), stopAfter: 10));
        Assert.Equal(10, GifFrameCounter.Count(TestImages.GifWithFrames(10), stopAfter: 10));
    }

    [Fact]
    public void Counts_what_is_there_when_the_trailer_is_missing()
    {
        Assert.Equal(7, GifFrameCounter.Count(TestImages.GifWithFrames(7, trailer: false)));
    }

    [Fact]
    public void Returns_minus_one_when_a_sub_block_runs_past_the_end()
    {
        var gif = TestImages.GifWithFrames(3);

        // Without "01 00 3B" the last frame's 2-byte sub-block has only one byte left.
        Assert.Equal(-1, GifFrameCounter.Count(gif.AsSpan(..^3)));
    }

    [Fact]
    public void Returns_minus_one_for_an_unknown_block()
    {
        var gif = TestImages.GifWithFrames(2);
        gif[^1] = 0x42; // replaces the trailer 0x3B with a byte that introduces no GIF block

        Assert.Equal(-1, GifFrameCounter.Count(gif));
    }

    [Fact]
    public void Returns_minus_one_when_an_image_descriptor_is_cut()
    {
        var gif = TestImages.GifWithFrames(1);
        // Header (6) + screen descriptor (7) + 2-entry colour table (6) = 19, then 5 of the descriptor's 10 bytes.
        Assert.Equal(-1, GifFrameCounter.Count(gif.AsSpan(..(19 + 5))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(12)]
    public void Returns_minus_one_for_files_shorter_than_header_and_screen_descriptor(int length)
    {
        Assert.Equal(-1, GifFrameCounter.Count(TestImages.GifWithFrames(1).AsSpan(..length)));
    }

    [Fact]
    public void Steps_over_a_256_entry_global_colour_table_and_local_tables()
    {
        using var stream = new MemoryStream();
        stream.Write("GIF89a"u8);
        stream.Write([0x01, 0x00, 0x01, 0x00, 0x87, 0x00, 0x00]); // 1x1, global table of 2^(7+1) = 256 entries
        // Filled with 0x2C so that a counter skipping too little would see image descriptors in the table.
        stream.Write(Enumerable.Repeat((byte)0x2C, 3 * 256).ToArray());
        for (var i = 0; i < 2; i++)
        {
            stream.Write([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0x81]); // local table of 2^(1+1) = 4 entries
            stream.Write(Enumerable.Repeat((byte)0x2C, 3 * 4).ToArray());
            stream.Write([0x02, 0x02, 0x44, 0x01, 0x00]);
        }

        stream.WriteByte(0x3B);

        Assert.Equal(2, GifFrameCounter.Count(stream.ToArray()));
    }

    [Fact]
    public void Steps_over_extension_blocks()
    {
        var gif = TestImages.GifWithFrames(1);
        // A comment extension (21 FE) whose data is full of 0x2C bytes, inserted before the frame.
        byte[] comment = [0x21, 0xFE, 0x04, 0x2C, 0x2C, 0x2C, 0x2C, 0x00];
        byte[] withComment = [.. gif[..19], .. comment, .. gif[19..]];

        Assert.Equal(1, GifFrameCounter.Count(withComment));
    }
}
