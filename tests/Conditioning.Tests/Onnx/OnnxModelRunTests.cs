using Conditioning.Onnx;

namespace Conditioning.Tests.Onnx;

public sealed class OnnxModelRunTests
{
    private static Dictionary<string, ModelTensor> Ids(ModelTensor ids) => new() { ["input_ids"] = ids };

    [Theory]
    [InlineData("text_encoder_int32.onnx")]
    [InlineData("text_encoder_int64.onnx")]
    public void LongIdsAreCastToWhateverIntegerTypeTheModelDeclares(string fixture)
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf(fixture));

        ModelOutputs outputs = model.Run(Ids(ModelTensor.Create<long>(new long[] { 49406, 320, 49407, 1, 2, 3 }, 2, 3)));

        ModelTensor<float> hidden = outputs["last_hidden_state"];
        Assert.Equal(new TensorShape(2, 3, 2), hidden.Shape);
        Assert.Equal(new[] { 49406f, 98812, 320, 640, 49407, 98814, 1, 2, 2, 4, 3, 6 }, hidden.Span.ToArray());
        Assert.Equal(new[] { 99133f, 198266, 6, 12 }, outputs["pooler_output"].Span.ToArray());
    }

    [Fact]
    public void IntIdsFeedAnInt64ModelAndWholeFloatsFeedAnInt32Model()
    {
        using OnnxModel int64Model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"));
        using OnnxModel int32Model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int32.onnx"));

        ModelOutputs fromInts = int64Model.Run(Ids(ModelTensor.Create<int>(new[] { 7, 8 }, 1, 2)), ["pooler_output"]);
        ModelOutputs fromFloats = int32Model.Run(Ids(ModelTensor.Create<float>(new[] { 7f, 8f }, 1, 2)), ["pooler_output"]);

        Assert.Equal(new[] { 15f, 30 }, fromInts["pooler_output"].Span.ToArray());
        Assert.Equal(fromInts["pooler_output"].Span.ToArray(), fromFloats["pooler_output"].Span.ToArray());
    }

    [Fact]
    public void AnIdThatDoesNotFitInt32IsRejectedNamingTheTensor()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int32.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(
            () => model.Run(Ids(ModelTensor.Create<long>(new long[] { 1, 5_000_000_000 }, 1, 2))));

        Assert.Equal("input_ids", ex.TensorName);
        Assert.Contains("element 1 is 5000000000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not fit int32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFractionalValueForAnIntegerInputIsRejectedInsteadOfRounded()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_scalar_timestep.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(() => model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new float[4], 1, 4),
            ["timestep"] = ModelTensor.Scalar(999.5f),
        }));

        Assert.Equal("timestep", ex.TensorName);
        Assert.Contains("999.5", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a whole number", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AZeroDimensionalTimestepIsFedAsAScalarAndCastToInt64()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_scalar_timestep.onnx"));

        ModelOutputs outputs = model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new[] { 0f, 1, 2, 3 }, 1, 4),
            ["timestep"] = ModelTensor.Scalar(999f),
        });

        Assert.Equal(new[] { 999f, 1000, 1001, 1002 }, outputs["out_sample"].Span.ToArray());
    }

    [Fact]
    public void AOneElementTimestepForAScalarInputFailsWithAHintToPassAScalar()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_scalar_timestep.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(() => model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new float[4], 1, 4),
            ["timestep"] = ModelTensor.Create<long>(new long[] { 999 }, 1),
        }));

        Assert.Equal("timestep", ex.TensorName);
        Assert.Contains("has shape [1] (rank 1), but the model declares int64[] (rank 0)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0-d scalar", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unet_scalar_timestep.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AScalarTimestepForABatchedInputFailsWithAHintToPassABatch()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_float16.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(() => model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new float[4], 1, 4),
            ["timestep"] = ModelTensor.Scalar(999f),
        }));

        Assert.Equal("timestep", ex.TensorName);
        Assert.Contains("[batch] tensor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWrongFixedAxisIsRejectedNamingTheAxisAndTheDeclaredShape()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_scalar_timestep.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(() => model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new float[3], 1, 3),
            ["timestep"] = ModelTensor.Scalar(1L),
        }));

        Assert.Equal("sample", ex.TensorName);
        Assert.Contains("declares float32[1, 4]: axis 1 must be 4, not 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InputsThatDisagreeOnASharedSymbolicAxisAreRejected()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_float16.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(() => model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new float[8], 2, 4),
            ["timestep"] = ModelTensor.Create<float>(new float[3], 3),
        }));

        Assert.Equal("timestep", ex.TensorName);
        Assert.Contains("disagree on the size of axis 'batch': 2 vs 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FloatInputsAreCastToFloat16AndFloat16OutputsComeBackAsFloat32()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_float16.onnx"));

        ModelOutputs outputs = model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new[] { 0.5f, -1, 2, 0.25f, 1, 1, 1, 1 }, 2, 4),
            ["timestep"] = ModelTensor.Create<float>(new[] { 10f, 0.5f }, 2),
        });

        ModelTensor<float> result = outputs["out_sample"];
        Assert.Equal(new TensorShape(2, 4), result.Shape);
        Assert.Equal(new[] { 11f, 8, 14, 10.5f, 2.5f, 2.5f, 2.5f, 2.5f }, result.Span.ToArray());
    }

    [Fact]
    public void HalfInputsAreUsedAsTheyAreForAFloat16Model()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_float16.onnx"));

        ModelOutputs outputs = model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<Half>(new[] { (Half)1.5f, (Half)2, (Half)3, (Half)4 }, 1, 4),
            ["timestep"] = ModelTensor.Create<Half>(new[] { (Half)1 }, 1),
        });

        Assert.Equal(new[] { 4f, 5, 7, 9 }, outputs["out_sample"].Span.ToArray());
    }

    [Fact]
    public void AValueBeyondFloat16RangeIsRejectedInsteadOfBecomingInfinity()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_float16.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(() => model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new[] { 0f, 0, 100_000, 0 }, 1, 4),
            ["timestep"] = ModelTensor.Create<float>(new[] { 1f }, 1),
        }));

        Assert.Equal("sample", ex.TensorName);
        Assert.Contains("float16's range", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FloatInputsAreCastToBFloat16AndBFloat16OutputsComeBackAsFloat32()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("bfloat16_io.onnx"));
        Assert.Equal(OnnxElementType.BFloat16, model.Metadata.InputsByName["x"].ElementType);

        // 1.5, -2 and 0.15625 are exact in bfloat16; 3.14159 rounds to its 8-bit mantissa (3.140625).
        ModelOutputs outputs = model.Run(new Dictionary<string, ModelTensor>
        {
            ["x"] = ModelTensor.Create<float>(new[] { 1.5f, -2f, 0.15625f, 3.14159f }, 4),
        });

        float[] expected = [1.5f, -2f, 0.15625f, 3.140625f];
        Assert.Equal(expected, outputs["y"].Span.ToArray());
        Assert.Equal(expected, outputs["y_float"].Span.ToArray());
    }

    [Fact]
    public void OnlyTheRequestedOutputsAreReturnedInTheRequestedOrder()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"));

        ModelOutputs outputs = model.Run(Ids(ModelTensor.Create<long>(new long[] { 1, 2 }, 1, 2)), ["hidden_states.1", "pooler_output"]);

        Assert.Equal(["hidden_states.1", "pooler_output"], outputs.Keys);
        KeyNotFoundException ex = Assert.Throws<KeyNotFoundException>(() => outputs["last_hidden_state"]);
        Assert.Contains("it holds: hidden_states.1, pooler_output", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownOutputNameIsRejectedListingTheModelsOutputs()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(
            () => model.Run(Ids(ModelTensor.Create<long>(new long[] { 1 }, 1, 1)), ["text_embeds"]));

        Assert.Equal("text_embeds", ex.TensorName);
        Assert.Contains("has no output 'text_embeds'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("pooler_output: float32[batch, 2]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownInputNameIsRejectedListingTheModelsInputs()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(() => model.Run(new Dictionary<string, ModelTensor>
        {
            ["input_ids"] = ModelTensor.Create<long>(new long[] { 1 }, 1, 1),
            ["attention_mask"] = ModelTensor.Create<long>(new long[] { 1 }, 1, 1),
        }));

        Assert.Equal("attention_mask", ex.TensorName);
        Assert.Contains("Its inputs are: input_ids: int64[batch, sequence]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingInputIsRejectedNamingItsDeclaration()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("unet_float16.onnx"));

        ModelInputException ex = Assert.Throws<ModelInputException>(() => model.Run(new Dictionary<string, ModelTensor>
        {
            ["sample"] = ModelTensor.Create<float>(new float[4], 1, 4),
        }));

        Assert.Equal("timestep", ex.TensorName);
        Assert.Contains("'timestep: float16[batch]'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("was not given", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyThreadsCanRunOneModelAtOnce()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int32.onnx"));

        float[][] sums = await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(() =>
        {
            ModelOutputs outputs = model.Run(Ids(ModelTensor.Create<long>(new long[] { i, i + 1 }, 1, 2)), ["pooler_output"]);
            return outputs["pooler_output"].Span.ToArray();
        })));

        for (int i = 0; i < sums.Length; i++)
        {
            Assert.Equal(new float[] { (2 * i) + 1, 2 * ((2 * i) + 1) }, sums[i]);
        }
    }

    [Fact]
    public async Task RunAsyncReturnsTheSameOutputsAsRun()
    {
        using OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"));
        Dictionary<string, ModelTensor> inputs = Ids(ModelTensor.Create<long>(new long[] { 3, 4, 5 }, 1, 3));

        ModelOutputs sync = model.Run(inputs);
        ModelOutputs async = await model.RunAsync(inputs);

        Assert.Equal(sync.Keys, async.Keys);
        foreach (string name in sync.Keys)
        {
            Assert.Equal(sync[name].Span.ToArray(), async[name].Span.ToArray());
        }
    }

    [Fact]
    public void RunningADisposedModelThrowsObjectDisposedException()
    {
        OnnxModel model = OnnxModel.Load(OnnxFixtures.PathOf("text_encoder_int64.onnx"));
        model.Dispose();
        model.Dispose();

        Assert.Throws<ObjectDisposedException>(() => model.Run(Ids(ModelTensor.Create<long>(new long[] { 1 }, 1, 1))));
    }
}
