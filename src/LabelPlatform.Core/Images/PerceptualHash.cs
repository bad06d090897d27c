using System.Numerics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace LabelPlatform.Core.Images;

/// <summary>
/// dHash: the image shrunk to 9x8 grey pixels, one bit per horizontal neighbour pair (is the left one brighter?).
/// Re-encoding, rescaling and mild colour changes move few bits; different pictures differ in about half of the 64.
/// </summary>
public static class PerceptualHash
{
    /// <summary>The dHash of an encoded image (the stored thumbnail is enough and cheap to decode).</summary>
    public static ulong DHash(byte[] encoded, Configuration configuration)
    {
        using var image = Image.Load<L8>(configuration, encoded);
        image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(9, 8), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Box }));
        ulong hash = 0;
        var bit = 0;
        for (var y = 0; y < 8; y++)
        {
            for (var x = 0; x < 8; x++, bit++)
            {
                if (image[x, y].PackedValue > image[x + 1, y].PackedValue)
                {
                    hash |= 1UL << bit;
                }
            }
        }

        return hash;
    }

    public static int Distance(ulong a, ulong b) => BitOperations.PopCount(a ^ b);
}
