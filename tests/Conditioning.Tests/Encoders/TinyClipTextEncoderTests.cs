using System.Text.Json;
using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Scoring;
using Conditioning.Tokenizers;

namespace Conditioning.Tests.Encoders;

/// <summary>
/// Every ONNX file of models/tiny-clip against its contract, and the diffusers-style text encoder (int32 ids,
/// hidden_states.0…4) against the PyTorch golden outputs (models/tiny-clip/fixtures/golden.json + golden.bin).
/// </summary>
public sealed class TinyClipTextEncoderTests
{
    private static string Folder => RepoPaths.Of("models", "tiny-clip");

    public static TheoryData<string, string> Exports => new()
    {
        { "text_model.onnx", "text" },
        { "vision_model.onnx", "vision" },
        { "text_encoder/model.onnx", "text_encoder" },
    };

    [Theory]
    [MemberData(nameof(Exports))]
    public void EveryExportMeetsItsContract(string file, string role)
    {
        using OnnxModel model = OnnxModel.Load(Path.Combine(Folder, file));
        ModelContract contract = role switch
        {
            "text" => ClipModel.TextContract,
            "vision" => ClipModel.VisionContract,
            _ => ClipTextEncoder.Contract,
        };
        Assert.Empty(contract.FindViolations(model.Metadata));
        if (role == "text_encoder")
        {
            Assert.Equal(OnnxElementType.Int32, model.Metadata.InputsByName["input_ids"].ElementType);
            Assert.Equal([0, 1, 2, 3, 4], Enumerable.Range(0, 5).Where(k => model.Metadata.OutputsByName.ContainsKey($"hidden_states.{k}")));
        }
        else if (role == "text")
        {
            Assert.Equal(OnnxElementType.Int64, model.Metadata.InputsByName["input_ids"].ElementType);
        }
    }

    [Fact]
    public async Task TheTextEncoderMatchesThePyTorchGoldenOutputs()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "fixtures", "golden.json")));
        JsonElement golden = doc.RootElement;
        byte[] bin = File.ReadAllBytes(Path.Combine(Folder, "fixtures", "golden.bin"));
        int[][] ids = [.. golden.GetProperty("input_ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray())];

        // The tokenizer reproduces the fixture's ids.
        var tokenizer = ClipTokenizer.FromFolder(Path.Combine(Folder, "tokenizer"));
        string[] prompts = [.. golden.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!)];
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(ids[i], tokenizer.EncodeToFixedLength(prompts[i]).Ids);

        using ClipTextEncoder encoder = ClipTextEncoder.Load(Path.Combine(Folder, "text_encoder", "model.onnx"));
        Assert.Equal(4, encoder.LayerCount);
        ClipTextEncoding all = await encoder.EncodeAsync(ids);
        AssertClose(Tensor(golden, bin, "last_hidden_state"), all.Sequence.Span, "last_hidden_state");
        AssertClose([.. golden.GetProperty("pooler_output").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle()))], all.PoolerOutput!.Span, "pooler_output");

        int[][] four = ids[..4];
        for (int k = 0; k <= 4; k++)
        {
            ClipTextEncoding layer = await encoder.EncodeAsync(four, new ClipLayerSelection(5 - k, ApplyFinalLayerNorm: false));
            AssertClose(Tensor(golden, bin, $"hidden_states.{k}"), layer.Sequence.Span, $"hidden_states.{k}");
        }

        // The final LayerNorm read from the ONNX graph turns hidden_states.4 into last_hidden_state.
        ClipTextEncoding raw = await encoder.EncodeAsync(four, new ClipLayerSelection(1, ApplyFinalLayerNorm: false));
        AssertClose(Tensor(golden, bin, "last_hidden_state")[..(4 * 77 * 128)], encoder.ApplyFinalNorm(raw.Sequence).Span, "LN(hidden_states.4)");
    }

    private static float[] Tensor(JsonElement golden, byte[] bin, string name)
    {
        JsonElement t = golden.GetProperty("binary").GetProperty("tensors").GetProperty(name);
        int count = t.GetProperty("shape").EnumerateArray().Aggregate(1, (a, d) => a * d.GetInt32());
        var data = new float[count];
        Buffer.BlockCopy(bin, t.GetProperty("offset").GetInt32(), data, 0, count * sizeof(float));
        return data;
    }

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        Assert.True(max <= 1e-4, $"{what}: max |Δ| {max}");
    }
}
