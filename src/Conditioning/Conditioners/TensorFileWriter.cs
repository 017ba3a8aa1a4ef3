using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Conditioning.Onnx;

namespace Conditioning.Conditioners;

/// <summary>
/// Writes float32 tensors in the formats Python users load: safetensors (one file, many named tensors, little-endian
/// F32) and NumPy <c>.npy</c> (one array per file, format 1.0, <c>&lt;f4</c>, C order).
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
public static class TensorFileWriter
{
    /// <summary>Writes <paramref name="tensors"/> as a safetensors file: an 8-byte header length, the JSON header, then the data.</summary>
    public static void WriteSafetensors(Stream stream, IReadOnlyList<(string Name, ModelTensor<float> Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach ((string k, string v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }

            long offset = 0;
            foreach ((string name, ModelTensor<float> t) in tensors)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (int d in t.Shape.Dimensions) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += t.Data.Length * 4L;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        // The header is padded with spaces so the data starts 8-byte aligned, as the reference writer does.
        int pad = (int)((8 - (header.Length % 8)) % 8);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.Length + pad));
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        for (int i = 0; i < pad; i++) stream.WriteByte((byte)' ');
        foreach ((_, ModelTensor<float> t) in tensors) WriteFloats(stream, t.Span);
    }

    /// <summary>Writes one tensor as a NumPy <c>.npy</c> file (format 1.0).</summary>
    public static void WriteNpy(Stream stream, ModelTensor<float> tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        string shape = tensor.Shape.Rank == 1
            ? string.Create(CultureInfo.InvariantCulture, $"({tensor.Shape[0]},)")
            : "(" + string.Join(", ", tensor.Shape.Dimensions.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        stream.Write(len);
        stream.Write(Encoding.ASCII.GetBytes(header));
        WriteFloats(stream, tensor.Span);
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> data)
    {
        byte[] buffer = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), data[i]);
        stream.Write(buffer);
    }
}
