using Conditioning.Onnx;

namespace Conditioning.Tests.Onnx;

public sealed class ModelContractTests
{
    private static readonly OnnxElementType[] Ids = [OnnxElementType.Int32, OnnxElementType.Int64];
    private static readonly OnnxElementType[] Floats = [OnnxElementType.Float32, OnnxElementType.Float16];

    private static ModelContract ClipTextEncoder(bool hiddenStatesOptional = true) => new(
        "CLIP text encoder",
        inputs: [new TensorRequirement("input_ids", Ids, [2])],
        outputs:
        [
            new TensorRequirement("last_hidden_state", Floats, [3]),
            new TensorRequirement("pooler_output", Floats, [2], isOptional: true),
            new TensorRequirement("hidden_states.*", Floats, [3], isOptional: hiddenStatesOptional),
        ]);

    /// <summary>A hand-written description of a model, as a fake for contract checks that need no ONNX Runtime.</summary>
    private static OnnxModelMetadata FakeModel(IEnumerable<OnnxTensorInfo> inputs, IEnumerable<OnnxTensorInfo> outputs) =>
        new("/models/fake/model.onnx", inputs, outputs);

    private static OnnxTensorInfo Tensor(string name, OnnxElementType type, params int?[] dims) => new(name, type, dims);

    [Theory]
    [InlineData("text_encoder_int32.onnx")]
    [InlineData("text_encoder_int64.onnx")]
    public void BothIdTypesAndHiddenStatePatternsSatisfyTheClipContractAtLoad(string fixture)
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf(fixture), contract: ClipTextEncoder(hiddenStatesOptional: false));

        Assert.Empty(ClipTextEncoder().FindViolations(model.Metadata));
    }

    [Fact]
    public void AModelThatFailsTheContractAtLoadThrowsListingTheFileAndEveryMismatch()
    {
        string path = OnnxFixtures.PathOf("unet_float16.onnx");

        ModelContractException ex = Assert.Throws<ModelContractException>(() => OnnxModel.Load(path, contract: ClipTextEncoder()));

        Assert.Equal(path, ex.ModelPath);
        Assert.Equal("CLIP text encoder", ex.ComponentName);
        Assert.Equal(
            [
                "input 'input_ids': expected input_ids: int32|int64, rank 2; found missing",
                "output 'last_hidden_state': expected last_hidden_state: float32|float16, rank 3; found missing",
                "input 'sample': expected no such input (CLIP text encoder feeds only input_ids); found float16[batch, 4]",
                "input 'timestep': expected no such input (CLIP text encoder feeds only input_ids); found float16[batch]",
            ],
            ex.Violations.Select(v => v.ToString()));
        Assert.StartsWith($"The ONNX model '{path}' is not a CLIP text encoder this library can use (4 mismatches):", ex.Message, StringComparison.Ordinal);
        Assert.Contains("The model declares inputs: sample: float16[batch, 4], timestep: float16[batch]; outputs: out_sample: float16[batch, 4].", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWrongElementTypeOrRankIsReportedWithExpectedAndFound()
    {
        OnnxModelMetadata model = FakeModel(
            [Tensor("input_ids", OnnxElementType.Float32, null, 77)],
            [Tensor("last_hidden_state", OnnxElementType.Float32, null, 77)]);

        IReadOnlyList<ContractViolation> violations = ClipTextEncoder().FindViolations(model);

        Assert.Equal(2, violations.Count);
        Assert.Equal(new ContractViolation(true, "input_ids", "input_ids: int32|int64, rank 2", "float32[?, 77]"), violations[0]);
        Assert.Equal(new ContractViolation(false, "last_hidden_state", "last_hidden_state: float32|float16, rank 3", "float32[?, 77]"), violations[1]);
    }

    [Fact]
    public void EveryOutputMatchingAPatternMustFitAndARequiredPatternNeedsAMatch()
    {
        OnnxTensorInfo[] inputs = [Tensor("input_ids", OnnxElementType.Int64, null, null)];
        OnnxModelMetadata badLayer = FakeModel(inputs,
        [
            Tensor("last_hidden_state", OnnxElementType.Float16, null, null, 768),
            Tensor("hidden_states.0", OnnxElementType.Float16, null, null, 768),
            Tensor("hidden_states.1", OnnxElementType.Int64, null, null),
        ]);
        OnnxModelMetadata noLayers = FakeModel(inputs, [Tensor("last_hidden_state", OnnxElementType.Float32, 1, 77, 768)]);

        ContractViolation bad = Assert.Single(ClipTextEncoder().FindViolations(badLayer));
        ContractViolation none = Assert.Single(ClipTextEncoder(hiddenStatesOptional: false).FindViolations(noLayers));

        Assert.Equal("output 'hidden_states.1': expected hidden_states.*: float32|float16, rank 3 (optional); found int64[?, ?]", bad.ToString());
        Assert.Equal("output 'hidden_states.*': expected hidden_states.*: float32|float16, rank 3; found no matching name", none.ToString());
        Assert.Empty(ClipTextEncoder().FindViolations(noLayers));
    }

    [Fact]
    public void ExtraInputsAreReportedUnlessTheContractAllowsThem()
    {
        OnnxModelMetadata withMask = FakeModel(
            [Tensor("input_ids", OnnxElementType.Int64, 1, 77), Tensor("attention_mask", OnnxElementType.Int64, 1, 77)],
            [Tensor("last_hidden_state", OnnxElementType.Float32, 1, 77, 768)]);
        ModelContract lenient = new("T5 encoder", [new TensorRequirement("input_ids", Ids, [2])], [], allowOtherInputs: true);

        ContractViolation extra = Assert.Single(ClipTextEncoder().FindViolations(withMask));

        Assert.Equal("attention_mask", extra.Name);
        Assert.Equal("int64[1, 77]", extra.Found);
        Assert.Empty(lenient.FindViolations(withMask));
    }

    [Fact]
    public void AnOptionalInputMayBeAbsentButMustFitWhenPresent()
    {
        ModelContract unet = new(
            "UNet",
            inputs:
            [
                new TensorRequirement("sample", Floats, [4]),
                new TensorRequirement("timestep", [OnnxElementType.Float32, OnnxElementType.Float16, OnnxElementType.Int64], [0, 1]),
                new TensorRequirement("timestep_cond", Floats, [2], isOptional: true),
            ],
            outputs: [new TensorRequirement("out_sample", Floats, [4])]);
        OnnxTensorInfo[] outputs = [Tensor("out_sample", OnnxElementType.Float32, null, 4, null, null)];
        OnnxTensorInfo sample = Tensor("sample", OnnxElementType.Float32, null, 4, null, null);

        Assert.Empty(unet.FindViolations(FakeModel([sample, Tensor("timestep", OnnxElementType.Float32)], outputs)));
        Assert.Empty(unet.FindViolations(FakeModel([sample, Tensor("timestep", OnnxElementType.Int64, [null]), Tensor("timestep_cond", OnnxElementType.Float32, null, 256)], outputs)));
        ContractViolation wrong = Assert.Single(unet.FindViolations(
            FakeModel([sample, Tensor("timestep", OnnxElementType.Float32), Tensor("timestep_cond", OnnxElementType.Float32, 256)], outputs)));
        Assert.Equal("timestep_cond", wrong.Name);
    }

    [Theory]
    [InlineData("hidden_states.*", "hidden_states.12", true)]
    [InlineData("hidden_states.*", "hidden_states.", true)]
    [InlineData("hidden_states.*", "last_hidden_state", false)]
    [InlineData("*hidden_state*", "last_hidden_state", true)]
    [InlineData("text_embeds", "text_embeds", true)]
    [InlineData("text_embeds", "Text_embeds", false)]
    [InlineData("a*b*c", "aXbYbZc", true)]
    [InlineData("a*b*c", "aXbYc_", false)]
    public void NamesMatchExactlyOrByStarPattern(string pattern, string name, bool matches)
    {
        Assert.Equal(matches, new TensorRequirement(pattern).Matches(name));
    }
}
