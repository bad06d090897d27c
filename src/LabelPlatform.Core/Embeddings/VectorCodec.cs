using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace LabelPlatform.Core.Embeddings;

/// <summary>Embeddings are stored as little-endian float32 bytes and always L2-normalised, so cosine = dot product.</summary>
public static class VectorCodec
{
    public static byte[] ToBytes(ReadOnlySpan<float> vector) => MemoryMarshal.AsBytes(vector).ToArray();

    public static float[] FromBytes(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    /// <summary>Scales to unit length in place; false (and left as is) when the vector is zero or not finite.</summary>
    public static bool Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (!(norm > 0) || !float.IsFinite(norm))
        {
            return false;
        }

        TensorPrimitives.Divide(vector, norm, vector);
        return true;
    }

    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);
}
