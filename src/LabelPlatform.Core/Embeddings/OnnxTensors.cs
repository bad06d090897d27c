using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace LabelPlatform.Core.Embeddings;

/// <summary>Reads and writes the values of ONNX initializers (raw little-endian bytes or the typed repeated fields).</summary>
internal static class OnnxTensors
{
    public static long Count(TensorProto tensor) => tensor.Dims.Aggregate(1L, (n, d) => n * d);

    /// <summary>The tensor's values as doubles: float, double, 8/16/32/64-bit integers.</summary>
    public static double[] Read(TensorProto tensor)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new OnnxModelException($"Initializer '{tensor.Name}' keeps its data in an external file, which the platform does not read.");
        }

        var type = (TensorProto.Types.DataType)tensor.DataType;
        var raw = tensor.RawData.Span;
        if (raw.Length > 0)
        {
            return type switch
            {
                TensorProto.Types.DataType.Float => [.. MemoryMarshal.Cast<byte, float>(raw).ToArray().Select(v => (double)v)],
                TensorProto.Types.DataType.Double => MemoryMarshal.Cast<byte, double>(raw).ToArray(),
                TensorProto.Types.DataType.Int8 => [.. raw.ToArray().Select(b => (double)(sbyte)b)],
                TensorProto.Types.DataType.Uint8 => [.. raw.ToArray().Select(b => (double)b)],
                TensorProto.Types.DataType.Int16 => [.. MemoryMarshal.Cast<byte, short>(raw).ToArray().Select(v => (double)v)],
                TensorProto.Types.DataType.Uint16 => [.. MemoryMarshal.Cast<byte, ushort>(raw).ToArray().Select(v => (double)v)],
                TensorProto.Types.DataType.Int32 => [.. MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (double)v)],
                TensorProto.Types.DataType.Int64 => [.. MemoryMarshal.Cast<byte, long>(raw).ToArray().Select(v => (double)v)],
                _ => throw new OnnxModelException($"Initializer '{tensor.Name}' holds {type} values, which the platform does not read."),
            };
        }

        // Without raw data the values sit in the typed fields: 8/16/32-bit integers in int32_data, as ONNX specifies.
        return type switch
        {
            TensorProto.Types.DataType.Float => [.. tensor.FloatData.Select(v => (double)v)],
            TensorProto.Types.DataType.Double => [.. tensor.DoubleData],
            TensorProto.Types.DataType.Int8 => [.. tensor.Int32Data.Select(v => (double)(sbyte)v)],
            TensorProto.Types.DataType.Uint8 => [.. tensor.Int32Data.Select(v => (double)(byte)v)],
            TensorProto.Types.DataType.Int16 => [.. tensor.Int32Data.Select(v => (double)(short)v)],
            TensorProto.Types.DataType.Uint16 => [.. tensor.Int32Data.Select(v => (double)(ushort)v)],
            TensorProto.Types.DataType.Int32 => [.. tensor.Int32Data.Select(v => (double)v)],
            TensorProto.Types.DataType.Int64 => [.. tensor.Int64Data.Select(v => (double)v)],
            _ => throw new OnnxModelException($"Initializer '{tensor.Name}' holds {type} values, which the platform does not read."),
        };
    }

    public static TensorProto Float(string name, ReadOnlySpan<float> values, IEnumerable<long> dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return tensor;
    }

    public static TensorProto FloatScalar(string name, float value) => Float(name, [value], []);

    /// <summary>The integer range of a quantized element type: (0, 255) for uint8, (-128, 127) for int8, and the 16-bit ones.</summary>
    public static (int Min, int Max) QuantizedRange(int elementType) => (TensorProto.Types.DataType)elementType switch
    {
        TensorProto.Types.DataType.Uint8 => (byte.MinValue, byte.MaxValue),
        TensorProto.Types.DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        TensorProto.Types.DataType.Uint16 => (ushort.MinValue, ushort.MaxValue),
        TensorProto.Types.DataType.Int16 => (short.MinValue, short.MaxValue),
        _ => throw new OnnxModelException($"{(TensorProto.Types.DataType)elementType} is not a quantized element type the platform converts (int8, uint8, int16, uint16)."),
    };
}
