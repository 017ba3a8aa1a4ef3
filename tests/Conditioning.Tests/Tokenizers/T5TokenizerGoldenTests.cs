using Conditioning.Tokenizers;

namespace Conditioning.Tests.Tokenizers;

public sealed class T5TokenizerGoldenTests
{
    private static readonly Lazy<T5Tokenizer> FromJson = new(() =>
        T5Tokenizer.FromTokenizerJson(SharedData.PathOf("tokenizers", "t5-v1_1-xxl", "tokenizer.json")));

    private static readonly Lazy<T5Tokenizer> FromSpiece = new(() =>
        T5Tokenizer.FromSentencePieceModel(SharedData.PathOf("tokenizers", "t5-v1_1-xxl", "spiece.model")));

    public static IEnumerable<object[]> Cases => TokenizerVectors.Indices(TokenizerVectors.T5Cases);

    [Fact]
    public void TheReferenceFileHoldsFourHundredCases() => Assert.Equal(400, TokenizerVectors.T5Cases.Length);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesHuggingFaceIdsFromTokenizerJson(int index)
    {
        TokenizerVector v = TokenizerVectors.T5Cases[index];
        Assert.Equal(v.Ids, FromJson.Value.Encode(v.Prompt).Ids);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesHuggingFaceIdsFromSpieceModel(int index)
    {
        TokenizerVector v = TokenizerVectors.T5Cases[index];
        var ids = new List<int>();
        FromSpiece.Value.EncodeToIds(v.Prompt, ids);
        Assert.Equal(v.Ids, ids);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TruncatesTo256KeepingEndOfSequenceLast(int index)
    {
        TokenizerVector v = TokenizerVectors.T5Cases[index];
        (int[] ids, int length) = FromJson.Value.EncodeToFixedLength(v.Prompt, 256);
        int[] expected = v.Ids.Length > 256 ? [.. v.Ids.Take(255), 1] : [.. v.Ids, .. Enumerable.Repeat(0, 256 - v.Ids.Length)];
        Assert.Equal(expected, ids);
        Assert.Equal(Math.Min(v.Ids.Length, 256), length);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryTokenSpanLiesInsideThePromptInOrder(int index)
    {
        TokenizerVector v = TokenizerVectors.T5Cases[index];
        TokenizedText t = FromJson.Value.Encode(v.Prompt);
        for (int i = 0; i < t.Count; i++)
        {
            TokenSpan span = t.Spans[i];
            Assert.InRange(span.Start, 0, v.Prompt.Length);
            Assert.InRange(span.End, span.Start, v.Prompt.Length);
            if (i > 0) Assert.True(span.Start >= t.Spans[i - 1].Start, $"token {i} starts before token {i - 1}");
        }
    }
}
