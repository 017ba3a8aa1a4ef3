using System.Buffers.Binary;
using System.Text.Json;
using Conditioning.Conditioners;
using Conditioning.Onnx;

namespace Conditioning.Tests.Conditioners;

public sealed class TensorFileWriterTests
{
    [Theory]
    [InlineData("arange_2x3x4.npy", new[] { 2, 3, 4 })]
    [InlineData("vector_5.npy", new[] { 5 })]
    public void WritesNpyFilesByteForByteAsNumPyDoes(string file, int[] shape)
    {
        byte[] reference = File.ReadAllBytes(RepoPaths.Of("tests", "Conditioning.Tests", "Fixtures", "tensors", file));
        float[] values = shape.Length == 1 ? [0.5f, -1.25f, 3.0f, 1e-3f, -7.5f] : [.. Enumerable.Range(0, 24).Select(i => (i / 8f) - 1)];
        using var stream = new MemoryStream();
        TensorFileWriter.WriteNpy(stream, ModelTensor.Create<float>(values, shape));
        Assert.Equal(reference, stream.ToArray());
    }

    [Fact]
    public void WritesSafetensorsThatTheFormatsRulesRead()
    {
        var a = ModelTensor.Create<float>(new[] { 1f, 2, 3, 4, 5, 6 }, 1, 2, 3);
        var b = ModelTensor.Create<float>(new[] { -0.5f }, 1, 1);
        using var stream = new MemoryStream();
        TensorFileWriter.WriteSafetensors(stream, [("prompt_embeds", a), ("pooled_prompt_embeds", b)], new Dictionary<string, string> { ["model"] = "tiny" });
        byte[] bytes = stream.ToArray();

        // Spec: u64 little-endian header size N, N bytes of JSON, then the data buffer; offsets are relative to it.
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + n) % 8);
        using JsonDocument header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        JsonElement e = header.RootElement.GetProperty("prompt_embeds");
        Assert.Equal("F32", e.GetProperty("dtype").GetString());
        Assert.Equal([1, 2, 3], e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()));
        Assert.Equal([0L, 24L], e.GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()));
        Assert.Equal([24L, 28L], header.RootElement.GetProperty("pooled_prompt_embeds").GetProperty("data_offsets").EnumerateArray().Select(x => x.GetInt64()));
        Assert.Equal("tiny", header.RootElement.GetProperty("__metadata__").GetProperty("model").GetString());
        int data = 8 + (int)n;
        Assert.Equal(bytes.Length, data + 28);
        Assert.Equal(4f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + 12)));
        Assert.Equal(-0.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + 24)));
    }
}
