using Conditioning.Conditioners;
using Conditioning.Prompts;
using Conditioning.Tokenizers;
using static Conditioning.Tests.Conditioners.ConditionerFixtures;

namespace Conditioning.Tests.Conditioners;

/// <summary>
/// Each family's assembly rules (concatenation order and axis, padding, pooled sources, zeroed negatives, extra ids)
/// against expectations the test computes itself from the raw ONNX outputs of random encoders.
/// </summary>
public sealed class ConditionerAssemblyTests
{
    private const string Prompt = "a large red circle on the left";

    [Fact]
    public async Task SdxlJoinsPenultimateLayersOfBothEncodersAndPoolsTheSecond()
    {
        using var conditioner = new StableDiffusionXLConditioner(LoadClip("clip_l.onnx"), ClipL(), LoadClip("clip_g.onnx"), ClipG(), forceZerosForEmptyPrompt: true, ownsEncoders: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = Prompt, Width = 768, Height = 512 });

        int[] idsL = ClipL().EncodeToFixedLength(Prompt).Ids;
        int[] idsG = ClipG().EncodeToFixedLength(Prompt).Ids;
        Assert.NotEqual(idsL, idsG);
        float[] expected = ConcatFeatures(Raw("clip_l.onnx", idsL, "hidden_states.1"), 8, Raw("clip_g.onnx", idsG, "hidden_states.2"), 12, 20);
        PromptEmbeddings positive = c.Positive.Parts[0].At(0);
        Assert.Equal([1, 77, 20], positive.Sequence.Shape.Dimensions);
        AssertClose(expected, positive.Sequence.Span);
        AssertClose(Raw("clip_g.onnx", idsG, "text_embeds"), positive.Pooled!.Span);
        Assert.Equal([512f, 768, 0, 0, 512, 768], positive.TimeIds!.Span.ToArray());
    }

    [Fact]
    public async Task SdxlZeroesAnEmptyNegativeButEncodesAGivenOne()
    {
        using var conditioner = new StableDiffusionXLConditioner(LoadClip("clip_l.onnx"), ClipL(), LoadClip("clip_g.onnx"), ClipG(), forceZerosForEmptyPrompt: true, ownsEncoders: true);
        DiffusionConditioning zero = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = Prompt });
        PromptEmbeddings z = zero.Negative!.Parts[0].At(0);
        Assert.All(z.Sequence.Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(z.Pooled!.Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal([1, 77, 20], z.Sequence.Shape.Dimensions);

        DiffusionConditioning given = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = Prompt, NegativePrompt = "a blue square" });
        AssertClose(Raw("clip_g.onnx", ClipG().EncodeToFixedLength("a blue square").Ids, "text_embeds"), given.Negative!.Parts[0].At(0).Pooled!.Span);
    }

    [Fact]
    public async Task Sd3PadsClipFeaturesToTheT5WidthAndAppendsT5OnTheSequenceAxis()
    {
        using var conditioner = new StableDiffusion3Conditioner(LoadClip("clip_l.onnx"), ClipL(), LoadClip("clip_g.onnx"), ClipG(), LoadT5(), T5(), ownsEncoders: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = Prompt, MaxSequenceLength = 32 });

        int[] idsL = ClipL().EncodeToFixedLength(Prompt).Ids, idsG = ClipG().EncodeToFixedLength(Prompt).Ids;
        int[] idsT5 = T5().EncodeToFixedLength(Prompt, 32).Ids;
        float[] clip = ConcatFeatures(Raw("clip_l.onnx", idsL, "hidden_states.1"), 8, Raw("clip_g.onnx", idsG, "hidden_states.2"), 12, 24);
        float[] expected = [.. clip, .. Raw("t5.onnx", idsT5, "last_hidden_state")];
        PromptEmbeddings positive = c.Positive.Parts[0].At(0);
        Assert.Equal([1, 77 + 32, 24], positive.Sequence.Shape.Dimensions);
        AssertClose(expected, positive.Sequence.Span);
        AssertClose([.. Raw("clip_l.onnx", idsL, "text_embeds"), .. Raw("clip_g.onnx", idsG, "text_embeds")], positive.Pooled!.Span);

        // The empty negative is encoded, not zeroed.
        Assert.Contains(c.Negative!.Parts[0].At(0).Sequence.Span.ToArray(), v => v != 0);
    }

    [Fact]
    public async Task Sd3WithoutT5UsesZerosForTheT5Block()
    {
        using var conditioner = new StableDiffusion3Conditioner(LoadClip("clip_l.onnx"), ClipL(), LoadClip("clip_g.onnx"), ClipG(), null, null, jointWidth: 24, ownsEncoders: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = Prompt, MaxSequenceLength = 16 });
        float[] sequence = c.Positive.Parts[0].At(0).Sequence.Span.ToArray();
        Assert.Equal((77 + 16) * 24, sequence.Length);
        Assert.All(sequence[(77 * 24)..], v => Assert.Equal(0f, v));
    }

    [Fact]
    public async Task FluxTakesT5AsSequenceAndClipPoolerOutputAsPooled()
    {
        using var conditioner = new FluxConditioner(LoadClip("clip_l.onnx"), ClipL(), LoadT5(), T5(), ownsEncoders: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = Prompt, MaxSequenceLength = 32 });
        PromptEmbeddings positive = c.Positive.Parts[0].At(0);
        AssertClose(Raw("t5.onnx", T5().EncodeToFixedLength(Prompt, 32).Ids, "last_hidden_state"), positive.Sequence.Span);
        AssertClose(Raw("clip_l.onnx", ClipL().EncodeToFixedLength(Prompt).Ids, "pooler_output"), positive.Pooled!.Span);
        Assert.Equal([32, 3], positive.TextIds!.Shape.Dimensions);
        Assert.All(positive.TextIds.Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.Null(c.Negative);

        DiffusionConditioning trueCfg = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = Prompt, NegativePrompt = "blurry", MaxSequenceLength = 32 });
        Assert.NotNull(trueCfg.Negative);
    }

    [Fact]
    public async Task A1111WeightsScaleTokensAndRestoreTheMean()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = "a (red:1.5) circle", ClassifierFreeGuidance = false });

        int[] ids = ClipL().EncodeToFixedLength("a red circle").Ids;
        float[] z = Raw("clip_l.onnx", ids, "last_hidden_state");
        double[] w = Weights(["a ", "red", " circle"], [1.0, 1.5, 1.0]);
        double before = z.Average(v => (double)v);
        float[] expected = [.. z.Select((v, i) => (float)(v * w[i / 8]))];
        double after = expected.Average(v => (double)v);
        expected = [.. expected.Select(v => (float)(v * (before / after)))];
        AssertClose(expected, c.Positive.Parts[0].At(0).Sequence.Span);
    }

    [Fact]
    public async Task ComfyWeightsLerpFromTheEmptyPrompt()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = "a (red:1.5) circle", Dialect = PromptDialect.ComfyUI, ClassifierFreeGuidance = false });

        float[] z = Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a red circle").Ids, "last_hidden_state");
        float[] empty = Raw("clip_l.onnx", ClipL().EncodeToFixedLength(string.Empty).Ids, "last_hidden_state");
        double[] w = Weights(["a ", "red", " circle"], [1.0, 1.5, 1.0]);
        float[] expected = [.. z.Select((v, i) => w[i / 8] == 1.0 ? v : (float)(((v - empty[i]) * w[i / 8]) + empty[i]))];
        AssertClose(expected, c.Positive.Parts[0].At(0).Sequence.Span);
    }

    [Fact]
    public async Task AndPartsKeepTheirWeightsAndPromptEditingFollowsTheSteps()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = "a [red:blue:0.5] circle AND a square :0.5", Steps = 10 });
        Assert.Equal([1.0, 0.5], c.Positive.Parts.Select(p => p.Weight));
        ConditioningPart first = c.Positive.Parts[0];
        AssertClose(Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a red circle").Ids, "last_hidden_state"), first.At(0).Sequence.Span);
        AssertClose(Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a blue circle").Ids, "last_hidden_state"), first.At(9).Sequence.Span);
        AssertClose(Raw("clip_l.onnx", ClipL().EncodeToFixedLength(" a square").Ids, "last_hidden_state"), c.Positive.Parts[1].At(0).Sequence.Span);
    }

    [Fact]
    public async Task PadsTheShorterOfPromptAndNegativeWithEmptyChunks()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        string longPrompt = string.Join(", ", Enumerable.Repeat("a small red circle", 30));
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = longPrompt, NegativePrompt = "blurry" });
        PromptEmbeddings positive = c.Positive.Parts[0].At(0), negative = c.Negative!.Parts[0].At(0);
        Assert.Equal(positive.Sequence.Shape, negative.Sequence.Shape);
        Assert.True(positive.Sequence.Shape[1] >= 154);
        float[] emptyChunk = Raw("clip_l.onnx", ClipL().EncodeToFixedLength(string.Empty).Ids, "last_hidden_state");
        AssertClose(emptyChunk, negative.Sequence.Span.Slice(77 * 8, 77 * 8));
    }

    /// <summary>Per-position weights of a 77-token chunk whose fragments are tokenized on their own.</summary>
    private static double[] Weights(string[] fragments, double[] weights)
    {
        var w = new List<double> { 1.0 };
        for (int f = 0; f < fragments.Length; f++) w.AddRange(Enumerable.Repeat(weights[f], ClipL().Encode(fragments[f], addSpecialTokens: false).Count));
        while (w.Count < 77) w.Add(1.0);
        return [.. w];
    }

    [Fact]
    public async Task EncodesThePromptAndItsNegativeInOneEncoderRun()
    {
        using var counting = new CountingModel(Conditioning.Onnx.OnnxModel.Load(Model("clip_l.onnx")));
        using var conditioner = new StableDiffusionConditioner(new Conditioning.Encoders.ClipTextEncoder(counting), ClipL());
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = "a red circle AND a blue square", NegativePrompt = "blurry" });
        Assert.Equal(1, counting.Runs);
        Assert.Equal(2, c.Positive.Parts.Count);
        AssertClose(Raw("clip_l.onnx", ClipL().EncodeToFixedLength("blurry").Ids, "last_hidden_state"), c.Negative!.Parts[0].At(0).Sequence.Span);
    }

    [Fact]
    public async Task EncodesEveryT5SequenceOfARequestInOneEncoderRun()
    {
        // Prompt (two AND parts, one with an edit schedule), negative, and the empty prompt for the weighted lerp.
        using var counting = new CountingModel(Conditioning.Onnx.OnnxModel.Load(Model("t5.onnx")));
        using var conditioner = new FluxConditioner(LoadClip("clip_l.onnx"), ClipL(), new Conditioning.Encoders.T5TextEncoder(counting), T5());
        var request = new ConditioningRequest { Prompt = "a (red:1.2) circle AND a [blue:green:0.5] square", NegativePrompt = "blurry", MaxSequenceLength = 32, Steps = 10, Weighting = WeightingMode.LerpFromEmpty };
        DiffusionConditioning c = await conditioner.EncodeAsync(request);
        Assert.Equal(1, counting.Runs);

        float[] empty = Raw("t5.onnx", T5().EncodeToFixedLength(string.Empty, 32).Ids, "last_hidden_state");
        AssertClose(Raw("t5.onnx", T5().EncodeToFixedLength("blurry", 32).Ids, "last_hidden_state"), c.Negative!.Parts[0].At(0).Sequence.Span);
        AssertClose(Raw("t5.onnx", T5().EncodeToFixedLength("a green square", 32).Ids, "last_hidden_state"), c.Positive.Parts[1].At(9).Sequence.Span);
        AssertClose(Raw("t5.onnx", T5().EncodeToFixedLength("a blue square", 32).Ids, "last_hidden_state"), c.Positive.Parts[1].At(0).Sequence.Span);

        // The weighted part: lerp from the empty prompt (asked for explicitly; A1111's default is the mean restore) at "red".
        int[] ids = T5().EncodeToFixedLength("a red circle", 32).Ids;
        float[] z = Raw("t5.onnx", ids, "last_hidden_state");
        int width = z.Length / 32;
        int red = Array.IndexOf(ids, T5().Encode("red", addSpecialTokens: false).Ids[0]);
        Assert.Equal(1, red);
        for (int k = 0; k < width; k++) z[(red * width) + k] = (float)(empty[(red * width) + k] + (1.2 * (z[(red * width) + k] - empty[(red * width) + k])));

        AssertClose(z, c.Positive.Parts[0].At(0).Sequence.Span);
    }

    [Fact]
    public async Task CompelBlendIsTheWeightedSumOfItsMembersConditionings()
    {
        using var counting = new CountingModel(Conditioning.Onnx.OnnxModel.Load(Model("clip_l.onnx")));
        using var conditioner = new StableDiffusionConditioner(new Conditioning.Encoders.ClipTextEncoder(counting), ClipL());
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest
        {
            Prompt = "(\"a red circle\", \"a blue square\").blend(0.6, 0.2)", NegativePrompt = "blurry", Dialect = PromptDialect.Compel,
        });

        Assert.Equal(1, counting.Runs); // both members and the negative in one batch
        float[] a = Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a red circle").Ids, "last_hidden_state");
        float[] b = Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a blue square").Ids, "last_hidden_state");
        float[] expected = [.. a.Select((v, i) => (float)((0.75 * v) + (0.25 * b[i])))]; // weights divided by their sum
        PromptEmbeddings positive = Assert.Single(c.Positive.Parts).At(0);
        Assert.Equal([1, 77, a.Length / 77], positive.Sequence.Shape.Dimensions);
        AssertClose(expected, positive.Sequence.Span);
    }

    [Fact]
    public async Task CompelAndConcatenatesOnTheTokenAxisAndLerpsWeightedParts()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest
        {
            Prompt = "(\"a red circle\", \"a blue square\").and(1, 0.5)", Dialect = PromptDialect.Compel, ClassifierFreeGuidance = false,
        });

        float[] a = Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a red circle").Ids, "last_hidden_state");
        float[] b = Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a blue square").Ids, "last_hidden_state");
        float[] empty = Raw("clip_l.onnx", ClipL().EncodeToFixedLength(string.Empty).Ids, "last_hidden_state");
        float[] expected = [.. a, .. b.Select((v, i) => (float)(empty[i] + ((v - empty[i]) * 0.5)))];
        PromptEmbeddings positive = Assert.Single(c.Positive.Parts).At(0);
        Assert.Equal([1, 154, a.Length / 77], positive.Sequence.Shape.Dimensions);
        AssertClose(expected, positive.Sequence.Span);
    }

    [Fact]
    public async Task CompelDownWeightingBlendsInThePromptWithoutTheFragment()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = "a (red)0.5 circle", Dialect = PromptDialect.Compel, ClassifierFreeGuidance = false });

        // Base: lerp from the empty prompt at "red" (w 0.5); without "red": "a circle"; lerp weight tan((1 − 0.5)·π/2) = 1.
        int[] ids = ClipL().EncodeToFixedLength("a red circle").Ids;
        float[] z = Raw("clip_l.onnx", ids, "last_hidden_state");
        float[] empty = Raw("clip_l.onnx", ClipL().EncodeToFixedLength(string.Empty).Ids, "last_hidden_state");
        float[] without = Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a circle").Ids, "last_hidden_state");
        int width = z.Length / 77, red = 2; // BOS, "a", "red"
        Assert.Equal(ClipL().Encode("red", addSpecialTokens: false).Ids[0], ids[red]);
        for (int k = 0; k < width; k++) z[(red * width) + k] = (float)(empty[(red * width) + k] + ((z[(red * width) + k] - empty[(red * width) + k]) * 0.5));
        float[] expected = [.. z.Select((v, i) => (v + without[i]) / 2f)];
        AssertClose(expected, Assert.Single(c.Positive.Parts).At(0).Sequence.Span);
    }

    [Fact]
    public async Task CompelSyntaxWithA1111WeightingIsNotBlended()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest
        {
            Prompt = "a (red)0.5 circle", Dialect = PromptDialect.Compel, Weighting = WeightingMode.A1111Original, ClassifierFreeGuidance = false,
        });

        float[] z = Raw("clip_l.onnx", ClipL().EncodeToFixedLength("a red circle").Ids, "last_hidden_state");
        double[] w = Weights(["a ", "red", " circle"], [1.0, 0.5, 1.0]);
        double before = z.Average(v => (double)v);
        float[] expected = [.. z.Select((v, i) => (float)(v * w[i / (z.Length / 77)]))];
        double after = expected.Average(v => (double)v);
        expected = [.. expected.Select(v => (float)(v * (before / after)))];
        AssertClose(expected, Assert.Single(c.Positive.Parts).At(0).Sequence.Span);
    }

    [Fact]
    public async Task APromptWithNoPartsIsConditionedAsTheEmptyPrompt()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        DiffusionConditioning c = await conditioner.EncodeAsync(new ConditioningRequest { Prompt = "()", Dialect = PromptDialect.Compel, ClassifierFreeGuidance = false });
        float[] empty = Raw("clip_l.onnx", ClipL().EncodeToFixedLength(string.Empty).Ids, "last_hidden_state");
        AssertClose(empty, Assert.Single(c.Positive.Parts).At(0).Sequence.Span);
    }

    [Fact]
    public async Task CompelBlendWeightsThatSumToZeroAreRejected()
    {
        using var conditioner = new StableDiffusionConditioner(LoadClip("clip_l.onnx"), ClipL(), ownsEncoder: true);
        var request = new ConditioningRequest { Prompt = "(\"a red circle\", \"a blue square\").blend(1, -1)", Dialect = PromptDialect.Compel };
        PromptSyntaxException e = await Assert.ThrowsAsync<PromptSyntaxException>(() => conditioner.EncodeAsync(request));
        Assert.Contains("sum to 0", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Counts the runs of a real model.</summary>
    private sealed class CountingModel(Conditioning.Onnx.IOnnxModel inner) : Conditioning.Onnx.IOnnxModel
    {
        public int Runs { get; private set; }

        public Conditioning.Onnx.OnnxModelMetadata Metadata => inner.Metadata;

        public Conditioning.Onnx.ModelOutputs Run(IReadOnlyDictionary<string, Conditioning.Onnx.ModelTensor> inputs, IReadOnlyCollection<string>? outputNames = null)
        {
            Runs++;
            return inner.Run(inputs, outputNames);
        }

        public Task<Conditioning.Onnx.ModelOutputs> RunAsync(IReadOnlyDictionary<string, Conditioning.Onnx.ModelTensor> inputs, IReadOnlyCollection<string>? outputNames = null, CancellationToken cancellationToken = default)
        {
            Runs++;
            return inner.RunAsync(inputs, outputNames, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }
}
