using Conditioning.Tokenizers;

namespace Conditioning.Tests.Tokenizers;

public sealed class ClipTokenizerGoldenTests
{
    private static readonly Lazy<ClipTokenizer> FromVocab = new(() =>
        ClipTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14")));

    private static readonly Lazy<ClipTokenizer> FromJson = new(() =>
        ClipTokenizer.FromTokenizerJson(SharedData.PathOf("tokenizers", "clip-vit-large-patch14", "tokenizer.json")));

    private static readonly Lazy<ClipTokenizer> BigG = new(() =>
        ClipTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14"), new ClipTokenizerOptions { PadToken = "!" }));

    public static IEnumerable<object[]> Cases => TokenizerVectors.Indices(TokenizerVectors.ClipCases);

    [Fact]
    public void TheReferenceFileHoldsFourHundredCases() => Assert.Equal(400, TokenizerVectors.ClipCases.Length);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesHuggingFaceIdsFromVocabAndMerges(int index)
    {
        TokenizerVector v = TokenizerVectors.ClipCases[index];
        Assert.Equal(v.Ids, FromVocab.Value.Encode(v.Prompt).Ids);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesHuggingFaceIdsFromTokenizerJson(int index)
    {
        TokenizerVector v = TokenizerVectors.ClipCases[index];
        var ids = new List<int>();
        FromJson.Value.EncodeToIds(v.Prompt, ids);
        Assert.Equal(v.Ids, ids);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesHuggingFaceIdsPaddedTo77(int index)
    {
        TokenizerVector v = TokenizerVectors.ClipCases[index];
        (int[] ids, int length) = FromVocab.Value.EncodeToFixedLength(v.Prompt);
        Assert.Equal(v.Ids77, ids);
        Assert.Equal(Math.Min(v.Ids.Length, 77), length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PadsWithExclamationMarkForOpenClipBigG(int index)
    {
        TokenizerVector v = TokenizerVectors.ClipCases[index];
        int[] expected = (int[])v.Ids77!.Clone();
        for (int i = Math.Min(v.Ids.Length, 77); i < 77; i++) expected[i] = 0;
        Assert.Equal(expected, BigG.Value.EncodeToFixedLength(v.Prompt).Ids);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryTokenSpanLiesInsideThePromptInOrder(int index)
    {
        TokenizerVector v = TokenizerVectors.ClipCases[index];
        TokenizedText t = FromVocab.Value.Encode(v.Prompt);
        for (int i = 0; i < t.Count; i++)
        {
            TokenSpan span = t.Spans[i];
            Assert.InRange(span.Start, 0, v.Prompt.Length);
            Assert.InRange(span.End, span.Start, v.Prompt.Length);
            if (i > 0) Assert.True(span.Start >= t.Spans[i - 1].Start, $"token {i} starts before token {i - 1}");
            bool added = (i == 0 || i == t.Count - 1) && span.Length == 0;
            if (!added) Assert.True(span.Length > 0, $"token {i} ('{t.Tokens[i]}') has an empty span");
        }
    }
}
