using Conditioning.Tokenizers;

namespace Conditioning.Tests.Tokenizers;

public sealed class TokenizerBehaviourTests
{
    private static readonly Lazy<ClipTokenizer> Clip = new(() => ClipTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14")));
    private static readonly Lazy<T5Tokenizer> T5 = new(() => T5Tokenizer.FromFolder(SharedData.PathOf("tokenizers", "t5-v1_1-xxl")));

    public static TheoryData<string> Kinds => new() { "clip", "t5" };

    private static ITextTokenizer Get(string kind) => kind == "clip" ? Clip.Value : T5.Value;

    [Fact]
    public void ReportsTheCharacterSpanOfEveryClipToken()
    {
        // 'ł' is two UTF-8 bytes; byte-level BPE may split them across tokens, which then share the character.
        const string text = "A  Photo,of ZDZISŁAW";
        TokenizedText t = Clip.Value.Encode(text);
        string[] covered = [.. t.Spans.Select(s => text.Substring(s.Start, s.Length))];
        string[] tokens = [.. t.Tokens];
        Assert.Equal(["<|startoftext|>", "a</w>", "photo</w>", ",</w>", "of</w>", "z", "dz", "is", "ÅĤ", "aw</w>", "<|endoftext|>"], tokens);
        Assert.Equal(["", "A", "Photo", ",", "of", "Z", "DZ", "IS", "Ł", "AW", ""], covered);
    }

    [Fact]
    public void ReportsTheCharacterSpanOfEveryT5Token()
    {
        const string text = "A photo of a CAT</s>";
        TokenizedText t = T5.Value.Encode(text);
        string[] covered = [.. t.Spans.Select(s => text.Substring(s.Start, s.Length))];
        Assert.Equal([71, 1202, 13, 3, 9, 3, 18911, 1, 1], t.Ids);
        Assert.Equal(["A", " photo", " of", " ", "a", " ", "CAT", "</s>", ""], covered);
    }

    [Fact]
    public void MapsSpansThroughNormalizationThatChangesLength()
    {
        // 'İ' lower-cases to two characters and 'e' + U+0301 composes to one; spans still index the caller's text.
        const string text = "İe\u0301x";
        TokenizedText t = Clip.Value.Encode(text, addSpecialTokens: false);
        Assert.Equal(0, t.Spans[0].Start);
        Assert.Equal(text.Length, t.Spans[^1].End);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RejectsNullWithArgumentNullException(string kind)
    {
        ITextTokenizer tokenizer = Get(kind);
        Assert.Throws<ArgumentNullException>(() => tokenizer.EncodeToIds("x", null!));
        Assert.Throws<ArgumentNullException>(() => tokenizer.Decode(null!));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TreatsLoneSurrogatesAsReplacementCharacters(string kind)
    {
        ITextTokenizer tokenizer = Get(kind);
        TokenizedText lone = tokenizer.Encode("a \uD800 b \uDC00");
        TokenizedText replaced = tokenizer.Encode("a \uFFFD b \uFFFD");
        Assert.Equal(replaced.Ids, lone.Ids);
        Assert.Equal(replaced.Spans, lone.Spans);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void KeepsNulCharactersAsText(string kind)
    {
        ITextTokenizer tokenizer = Get(kind);
        TokenizedText t = tokenizer.Encode("red\0circle");
        Assert.True(t.Count >= 3);
        Assert.Equal(tokenizer.EosId, t.Ids[^1]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EncodesAOneMegabytePromptWithoutHanging(string kind)
    {
        ITextTokenizer tokenizer = Get(kind);
        string words = string.Concat(Enumerable.Repeat("a red circle, ", 1 << 16));
        string oneWord = new('x', 1 << 20);
        var ids = new List<int>();
        tokenizer.EncodeToIds(words, ids);
        Assert.Equal(tokenizer.EosId, ids[^1]);
        ids.Clear();
        tokenizer.EncodeToIds(oneWord, ids);
        Assert.True(ids.Count > 1000, $"a 1 MB word gave only {ids.Count} ids");
    }

    [Fact]
    public void DecodesClipIdsBackToNormalizedText() =>
        Assert.Equal("a photo of zdzisław, 8 k!", Clip.Value.Decode(Clip.Value.Encode("A photo of Zdzisław, 8K!").Ids));

    [Fact]
    public void DecodesT5IdsBackToText() =>
        Assert.Equal("A photo of a CAT", T5.Value.Decode(T5.Value.Encode("A photo of a CAT").Ids));

    [Fact]
    public void DetectsTheTokenizerKindFromTheFolder()
    {
        Assert.IsType<ClipTokenizer>(TextTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14")));
        Assert.IsType<T5Tokenizer>(TextTokenizer.FromFolder(SharedData.PathOf("tokenizers", "t5-v1_1-xxl")));
    }

    [Fact]
    public void ReadsPadTokenAndContextLengthFromTheFolder()
    {
        Assert.Equal(49407, Clip.Value.PadId);
        Assert.Equal(77, Clip.Value.ModelMaxLength);
        Assert.Equal(0, T5.Value.PadId);
        Assert.Equal(1, T5.Value.EosId);
        Assert.Null(T5.Value.BosId);
    }

    [Fact]
    public void NamesTheFolderWhenItHoldsNoTokenizer()
    {
        string dir = Directory.CreateTempSubdirectory("cond-empty-").FullName;
        try
        {
            var e = Assert.Throws<TokenizerLoadException>(() => TextTokenizer.FromFolder(dir));
            Assert.Equal(dir, e.FilePath);
            Assert.Contains("vocab.json", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void NamesTheFileWhenTheVocabularyIsCorrupt()
    {
        string dir = Directory.CreateTempSubdirectory("cond-corrupt-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "vocab.json"), "{\"a\": 0, \"b\": ");
            File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\na b\n");
            var e = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Equal(Path.Combine(dir, "vocab.json"), e.FilePath);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void NamesTheFileWhenAMergeIsMalformed()
    {
        string dir = Directory.CreateTempSubdirectory("cond-merges-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2, \"<|startoftext|>\": 3, \"<|endoftext|>\": 4}");
            File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\na b\nabc\n");
            var e = Assert.Throws<TokenizerLoadException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Equal(Path.Combine(dir, "merges.txt"), e.FilePath);
            Assert.Contains("merge 3", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void NamesTheFileWhenTheSentencePieceModelIsTruncated()
    {
        string path = Path.GetTempFileName();
        try
        {
            byte[] real = File.ReadAllBytes(SharedData.PathOf("tokenizers", "t5-v1_1-xxl", "spiece.model"));
            File.WriteAllBytes(path, real.AsSpan(0, 1000).ToArray());
            var e = Assert.Throws<TokenizerLoadException>(() => T5Tokenizer.FromSentencePieceModel(path));
            Assert.Equal(path, e.FilePath);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NamesTheFileWhenTheSentencePieceModelIsMissing()
    {
        var e = Assert.Throws<TokenizerLoadException>(() => T5Tokenizer.FromSentencePieceModel("/nonexistent/spiece.model"));
        Assert.Equal("/nonexistent/spiece.model", e.FilePath);
    }
}
