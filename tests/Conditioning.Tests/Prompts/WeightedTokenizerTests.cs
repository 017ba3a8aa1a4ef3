using Conditioning.Prompts;
using Conditioning.Tokenizers;

namespace Conditioning.Tests.Prompts;

public sealed class WeightedTokenizerTests
{
    private static readonly Lazy<ClipTokenizer> Clip = new(() =>
        ClipTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14")));

    private static readonly Lazy<T5Tokenizer> T5 = new(() =>
        T5Tokenizer.FromFolder(SharedData.PathOf("tokenizers", "t5-v1_1-xxl")));

    [Fact]
    public void A1111PromptBecomesAndPartsWithCfgWeightsAndPerStepChunks()
    {
        ParsedPrompt parsed = new A1111PromptParser(new A1111PromptParserOptions { Steps = 10 }).Parse("a [cat:dog:0.5] AND (red:1.2) sky:0.7");

        WeightedPrompt prompt = new WeightedTokenizer(Clip.Value).Tokenize(parsed);

        Assert.Equal(PromptConjunctionKind.Composable, prompt.Conjunction);
        Assert.Equal(2, prompt.Parts.Count);
        Assert.Equal([5, 10], prompt.Parts[0].Schedule.Select(s => s.EndAtStep));
        Assert.Equal("a cat", prompt.Parts[0].StepAt(3).Text);
        Assert.Equal("a dog", prompt.Parts[0].StepAt(6).Text);
        Assert.Equal(0.7, prompt.Parts[1].Weight);

        PromptChunk chunk = Assert.Single(prompt.Parts[1].Schedule[0].Chunks);
        int red = Clip.Value.Encode("red", addSpecialTokens: false).Ids[0];
        Assert.Equal([Clip.Value.BosId!.Value, red], chunk.Ids[..2]);
        Assert.Equal([1.0, 1.2, 1.0], chunk.Weights[..3]);
        Assert.Equal(2, prompt.Parts[1].Schedule[0].TokenCount);

        Assert.Equal(PooledTextSource.FirstChunk, prompt.PooledSource);
        Assert.Equal(prompt.Parts[0].Schedule[0].Chunks[0].Ids, prompt.PooledIds);
    }

    [Fact]
    public void A1111BreakStartsANewChunk()
    {
        ParsedPrompt parsed = new A1111PromptParser().Parse("a cat BREAK a dog");

        WeightedPromptStep step = new WeightedTokenizer(Clip.Value).Tokenize(parsed).Parts[0].Schedule[0];

        Assert.Equal(2, step.Chunks.Count);
        Assert.Equal(Clip.Value.EosId, step.Chunks[0].Ids[3]);
        Assert.Equal(75 + 2, step.TokenCount);
    }

    [Fact]
    public void CompelPoolsTheRawPromptStringForSdxlAndTheJoinedFragmentsForFlux()
    {
        const string Text = "a (red)++ cat";
        ParsedPrompt parsed = new CompelPromptParser().Parse(Text);

        WeightedPrompt sdxl = new WeightedTokenizer(Clip.Value).Tokenize(parsed);
        WeightedPrompt flux = new WeightedTokenizer(Clip.Value, new WeightedTokenizerOptions { CompelPooledSource = PooledTextSource.JoinedFragments }).Tokenize(parsed);

        Assert.Equal(PromptConjunctionKind.Concatenated, sdxl.Conjunction);
        Assert.Equal(Text, sdxl.PooledText);
        Assert.Equal(Clip.Value.EncodeToFixedLength(Text).Ids, sdxl.PooledIds);
        Assert.Equal("a red cat", flux.PooledText);
        Assert.Equal(1.2100000000000002, sdxl.Parts[0].Schedule[0].Chunks[0].Weights[2]);
    }

    [Fact]
    public void ComfyPromptWithT5IsOneWeightedSequencePaddedToTheMinimumLength()
    {
        ParsedPrompt parsed = new ComfyPromptParser().Parse("a (red:1.5) cat");

        WeightedPrompt prompt = new WeightedTokenizer(T5.Value, new WeightedTokenizerOptions { T5MinLength = 256 }).Tokenize(parsed);

        PromptChunk sequence = Assert.Single(prompt.Parts[0].Schedule[0].Chunks);
        Assert.Equal(256, sequence.Length);
        int eos = Array.IndexOf(sequence.Ids, T5.Value.EosId);
        Assert.True(eos > 0);
        Assert.Contains(1.5, sequence.Weights[..eos]);
        Assert.All(sequence.Weights[eos..], w => Assert.Equal(1.0, w));
    }

    [Fact]
    public void CompelBlendPartsCarryTheChunksOfEachBlendedPrompt()
    {
        ParsedPrompt parsed = new CompelPromptParser().Parse("(\"a cat\", \"a dog\").blend(0.7, 0.3)");

        WeightedPromptPart part = Assert.Single(new WeightedTokenizer(Clip.Value).Tokenize(parsed).Parts);

        Assert.NotNull(part.Blend);
        Assert.Equal(2, part.BlendChunks.Count);
        Assert.Equal([0.7, 0.3], part.Blend!.Weights);
    }
}
