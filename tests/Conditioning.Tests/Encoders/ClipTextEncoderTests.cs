using Conditioning.Encoders;
using Conditioning.Onnx;
using Conditioning.Tests.Onnx;

namespace Conditioning.Tests.Encoders;

/// <summary>
/// The encoder on small real ONNX exports (tests/Conditioning.Tests/Fixtures/onnx, made by make_fixtures.py):
/// clip_layernorm.onnx has hidden_states.0 = E[ids], hidden_states.1 = E[ids] + 1 and
/// last_hidden_state = LayerNorm(hidden_states.1; scale (1,2,3,4), bias (0.5,0,−0.5,1), ε 1e-5), where E row i = (i, 2i, i², 1).
/// </summary>
public sealed class ClipTextEncoderTests
{
    private static readonly float[] Scale = [1, 2, 3, 4];
    private static readonly float[] Bias = [0.5f, 0, -0.5f, 1];

    public static TheoryData<string> LayerNormModels => new() { "clip_layernorm.onnx", "clip_layernorm_external/model.onnx" };

    [Theory]
    [MemberData(nameof(LayerNormModels))]
    public async Task ReturnsLastHiddenStateByDefault(string fixture)
    {
        using ClipTextEncoder encoder = ClipTextEncoder.Load(OnnxFixtures.PathOf(fixture.Split('/')));
        ClipTextEncoding result = await encoder.EncodeAsync([[1, 3, 15]]);
        Assert.Equal([1, 3, 4], result.Sequence.Shape.Dimensions);

        // The test's own LayerNorm of hidden_states.1 must reproduce ONNX Runtime's last_hidden_state.
        float[] expected = [.. new[] { 1, 3, 15 }.SelectMany(id => LayerNorm([id + 1f, (2 * id) + 1f, (id * id) + 1f, 2f]))];
        AssertClose(expected, result.Sequence.Span.ToArray());
        Assert.NotNull(result.PoolerOutput);
        AssertClose(expected[8..12], result.PoolerOutput!.Span.ToArray());
    }

    [Theory]
    [MemberData(nameof(LayerNormModels))]
    public async Task ClipSkipTakesTheEarlierLayerAndAppliesTheExportsFinalLayerNorm(string fixture)
    {
        using ClipTextEncoder encoder = ClipTextEncoder.Load(OnnxFixtures.PathOf(fixture.Split('/')));
        Assert.Equal(1, encoder.LayerCount);
        ClipTextEncoding skipped = await encoder.EncodeAsync([[2, 5]], ClipLayerSelection.DiffusersClipSkip(1));
        float[] expected = [.. new[] { 2, 5 }.SelectMany(id => LayerNorm([id, 2f * id, id * id, 1f]))];
        AssertClose(expected, skipped.Sequence.Span.ToArray());

        ClipTextEncoding a1111 = await encoder.EncodeAsync([[2, 5]], ClipLayerSelection.A1111ClipSkip(2));
        AssertClose(expected, a1111.Sequence.Span.ToArray());
    }

    [Fact]
    public async Task PenultimateWithoutNormIsTheRawEarlierLayer()
    {
        using ClipTextEncoder encoder = ClipTextEncoder.Load(OnnxFixtures.PathOf("clip_layernorm.onnx"));
        ClipTextEncoding result = await encoder.EncodeAsync([[4]], ClipLayerSelection.PenultimateWithoutNorm);
        Assert.Equal([4f, 8f, 16f, 1f], result.Sequence.Span.ToArray());
    }

    [Fact]
    public async Task BatchesSequencesOnTheDynamicBatchAxis()
    {
        using ClipTextEncoder encoder = ClipTextEncoder.Load(OnnxFixtures.PathOf("text_encoder_int32.onnx"));
        ClipTextEncoding result = await encoder.EncodeAsync([[1, 2, 3], [4, 5, 6]]);
        Assert.Equal([2, 3, 2], result.Sequence.Shape.Dimensions);
        Assert.Equal([1f, 2, 2, 4, 3, 6, 4, 8, 5, 10, 6, 12], result.Sequence.Span.ToArray());
        Assert.Equal([6f, 12, 15, 30], result.PoolerOutput!.Span.ToArray());
    }

    [Fact]
    public async Task SaysWhyClipSkipIsImpossibleWithoutHiddenStateOutputs()
    {
        using var encoder = new ClipTextEncoder(new FakeClipWithoutHiddenStates());
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => encoder.EncodeAsync([new int[77]], ClipLayerSelection.DiffusersClipSkip(1)));
        Assert.Contains("hidden_states", e.Message, StringComparison.Ordinal);
        Assert.Contains("output_hidden_states", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaysWhenTheExportHasNoFinalLayerNorm()
    {
        using ClipTextEncoder encoder = ClipTextEncoder.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"));
        var e = await Assert.ThrowsAsync<ModelLoadException>(() => encoder.EncodeAsync([[1, 2]], ClipLayerSelection.DiffusersClipSkip(1)));
        Assert.Contains("LayerNorm", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAModelThatIsNotATextEncoderWithExpectedVersusFound()
    {
        var e = Assert.Throws<ModelContractException>(() => ClipTextEncoder.Load(OnnxFixtures.PathOf("unet_float16.onnx")));
        Assert.Contains("input_ids", e.Message, StringComparison.Ordinal);
        Assert.Contains("last_hidden_state", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectsSequencesOfUnequalLength()
    {
        using ClipTextEncoder encoder = ClipTextEncoder.Load(OnnxFixtures.PathOf("clip_layernorm.onnx"));
        await Assert.ThrowsAsync<ArgumentException>(() => encoder.EncodeAsync([[1, 2], [1]]));
    }

    private static float[] LayerNorm(float[] x)
    {
        double mean = x.Average();
        double variance = x.Sum(v => (v - mean) * (v - mean)) / x.Length;
        return [.. x.Select((v, i) => (float)(((v - mean) / Math.Sqrt(variance + 1e-5) * Scale[i]) + Bias[i]))];
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>A CLIP-L-shaped export with only last_hidden_state and pooler_output (the diffusers SD1.x script's).</summary>
    private sealed class FakeClipWithoutHiddenStates : IOnnxModel
    {
        public OnnxModelMetadata Metadata { get; } = new(
            "fake/text_encoder/model.onnx",
            [new OnnxTensorInfo("input_ids", OnnxElementType.Int32, [1, 77])],
            [
                new OnnxTensorInfo("last_hidden_state", OnnxElementType.Float32, [1, 77, 768]),
                new OnnxTensorInfo("pooler_output", OnnxElementType.Float32, [1, 768]),
            ]);

        public ModelOutputs Run(IReadOnlyDictionary<string, ModelTensor> inputs, IReadOnlyCollection<string>? outputNames = null) =>
            throw new InvalidOperationException("the encoder must refuse before running");

        public Task<ModelOutputs> RunAsync(IReadOnlyDictionary<string, ModelTensor> inputs, IReadOnlyCollection<string>? outputNames = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(Run(inputs, outputNames));

        public void Dispose()
        {
        }
    }
}
