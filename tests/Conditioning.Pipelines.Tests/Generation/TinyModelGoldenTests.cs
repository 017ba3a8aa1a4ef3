using System.Text.Json;
using Conditioning.Conditioners;
using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Pipelines.Denoisers;
using Conditioning.Pipelines.Vae;
using Conditioning.Tokenizers;

namespace Conditioning.Pipelines.Tests.Generation;

/// <summary>
/// The embedded tiny-sd and tiny-flux components against the PyTorch golden evaluations saved with them
/// (models/tiny-*/fixtures/*.json, made by make_fixtures_part2.py): first as plain ONNX runs, then through the
/// library's own wrappers (UNet and Flux denoisers, VAE decoder, T5 encoder with its tokenizer).
/// </summary>
public sealed class TinyModelGoldenTests(Xunit.Abstractions.ITestOutputHelper log)
{
    public static TheoryData<string, string> Fixtures()
    {
        var data = new TheoryData<string, string>();
        foreach (string model in new[] { "tiny-sd", "tiny-flux" })
        {
            foreach (string file in Directory.EnumerateFiles(RepoPaths.Of("models", model, "fixtures"), "*.json").Order()) data.Add(model, Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EveryComponentMatchesItsPyTorchGolden(string model, string fixture)
    {
        using JsonDocument doc = Load(model, fixture);
        JsonElement root = doc.RootElement;
        using OnnxModel onnx = OnnxModel.Load(RepoPaths.Of("models", model, root.GetProperty("model").GetString()!));
        var inputs = new Dictionary<string, ModelTensor>();
        foreach (JsonProperty input in root.GetProperty("inputs").EnumerateObject()) inputs[input.Name] = Tensor(input.Value);
        ModelOutputs outputs = onnx.Run(inputs);
        double tolerance = root.GetProperty("tolerance").GetDouble();
        foreach (JsonProperty output in root.GetProperty("outputs").EnumerateObject())
        {
            double max = AssertClose(Floats(output.Value), outputs[output.Name].Span, tolerance, $"{model}/{output.Name}");
            log.WriteLine($"{model}/{fixture} {output.Name}: max |Δ| {max:E2} (tolerance {tolerance:G})");
        }
    }

    [Fact]
    public async Task TheUNetDenoiserMatchesTheGoldenCfgBatch()
    {
        using JsonDocument doc = Load("tiny-sd", "unet.json");
        JsonElement inputs = doc.RootElement.GetProperty("inputs");
        using OnnxUNetDenoiser unet = OnnxUNetDenoiser.Load(RepoPaths.Of("models", "tiny-sd", "unet", "model.onnx"));
        float[] hidden = Floats(inputs.GetProperty("encoder_hidden_states"));
        int per = hidden.Length / 2;
        PromptEmbeddings[] conditioning = [.. Enumerable.Range(0, 2).Select(b => new PromptEmbeddings(ModelTensor.Create<float>(hidden.AsMemory(b * per, per), 1, 77, per / 77)))];
        float[] output = await unet.PredictAsync(
            new DenoiserInput(Floats(inputs.GetProperty("sample")), [2, 4, 16, 16], Floats(inputs.GetProperty("timestep"))[0], conditioning),
            CancellationToken.None);
        AssertClose(Floats(doc.RootElement.GetProperty("outputs").GetProperty("out_sample")), output, 1e-4, "out_sample");
    }

    [Fact]
    public async Task TheVaeDecoderWrapperMatchesTheGolden()
    {
        using JsonDocument doc = Load("tiny-flux", "vae_decoder.json");
        JsonElement latent = doc.RootElement.GetProperty("inputs").GetProperty("latent_sample");
        using OnnxVaeDecoder vae = OnnxVaeDecoder.Load(RepoPaths.Of("models", "tiny-flux", "vae_decoder", "model.onnx"));
        (float[] pixels, _) = await vae.DecodeAsync(Floats(latent), [.. latent.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())], CancellationToken.None);
        AssertClose(Floats(doc.RootElement.GetProperty("outputs").GetProperty("sample")), pixels, 1e-4, "sample");
    }

    [Fact]
    public async Task TheT5EncoderAndTokenizerMatchTheGolden()
    {
        using JsonDocument doc = Load("tiny-flux", "text_encoder_2.json");
        JsonElement root = doc.RootElement;
        int[] ids = [.. root.GetProperty("inputs").GetProperty("input_ids").GetProperty("data").EnumerateArray().Select(v => v.GetInt32())];
        // The fixture's note: prompt "a red circle on the left", SentencePiece ids + </s>, padded with 0.
        Assert.Contains("a red circle on the left", root.GetProperty("note").GetString(), StringComparison.Ordinal);
        T5Tokenizer tokenizer = T5Tokenizer.FromFolder(RepoPaths.Of("models", "tiny-flux", "tokenizer_2"));
        Assert.Equal(ids, tokenizer.EncodeToFixedLength("a red circle on the left", ids.Length).Ids);

        using T5TextEncoder encoder = T5TextEncoder.Load(RepoPaths.Of("models", "tiny-flux", "text_encoder_2", "model.onnx"));
        ModelTensor<float> hidden = await encoder.EncodeAsync([ids]);
        AssertClose(Floats(root.GetProperty("outputs").GetProperty("last_hidden_state")), hidden.Span, 1e-4, "last_hidden_state");
    }

    private static JsonDocument Load(string model, string fixture) =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("models", model, "fixtures", fixture)));

    private static ModelTensor Tensor(JsonElement t)
    {
        int[] shape = [.. t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())];
        return t.GetProperty("dtype").GetString() switch
        {
            "int64" => ModelTensor.Create<long>(t.GetProperty("data").EnumerateArray().Select(v => v.GetInt64()).ToArray(), shape),
            "int32" => ModelTensor.Create<int>(t.GetProperty("data").EnumerateArray().Select(v => v.GetInt32()).ToArray(), shape),
            _ => ModelTensor.Create<float>(Floats(t), shape),
        };
    }

    private static float[] Floats(JsonElement t) => [.. t.GetProperty("data").EnumerateArray().Select(v => v.GetSingle())];

    private static double AssertClose(float[] expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        Assert.True(max <= tolerance, $"{what}: max |Δ| {max} > {tolerance}");
        return max;
    }
}
