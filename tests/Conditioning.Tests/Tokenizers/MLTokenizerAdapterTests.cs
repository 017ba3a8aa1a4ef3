using Conditioning.Tokenizers;
using Microsoft.ML.Tokenizers;

namespace Conditioning.Tests.Tokenizers;

public sealed class MLTokenizerAdapterTests
{
    private static readonly Lazy<Tokenizer> Clip = new(() =>
        ClipTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14")).AsMLTokenizer());

    private static readonly Lazy<Tokenizer> T5 = new(() =>
        T5Tokenizer.FromFolder(SharedData.PathOf("tokenizers", "t5-v1_1-xxl")).AsMLTokenizer());

    public static IEnumerable<object[]> ClipCases => TokenizerVectors.Indices(TokenizerVectors.ClipCases);

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void GivesTheReferenceIdsThroughTheMicrosoftMLAbstraction(int index)
    {
        TokenizerVector v = TokenizerVectors.ClipCases[index];
        Assert.Equal(v.Ids, Clip.Value.EncodeToIds(v.Prompt));
        Assert.Equal(v.Ids.Length, Clip.Value.CountTokens(v.Prompt));
    }

    [Fact]
    public void TruncatesToATokenBudgetAndReportsTheCharactersConsumed()
    {
        IReadOnlyList<int> ids = T5.Value.EncodeToIds("A photo of a CAT", maxTokenCount: 3, out string? normalized, out int consumed);
        Assert.Equal([71, 1202, 13], ids);
        Assert.Null(normalized);
        Assert.Equal("A photo of".Length, consumed);
    }

    [Fact]
    public void ReportsTokenOffsets()
    {
        IReadOnlyList<EncodedToken> tokens = Clip.Value.EncodeToTokens("red circle", out _);
        Assert.Equal(new Range(4, 10), tokens[2].Offset);
        Assert.Equal("circle</w>", tokens[2].Value);
    }

    [Fact]
    public void DecodesIntoASpanOrSaysItIsTooSmall()
    {
        int[] ids = [.. Clip.Value.EncodeToIds("a red circle")];
        Assert.Equal("a red circle", Clip.Value.Decode(ids));
        Span<char> small = stackalloc char[3];
        Assert.Equal(System.Buffers.OperationStatus.DestinationTooSmall, Clip.Value.Decode(ids, small, out _, out _));
    }
}
