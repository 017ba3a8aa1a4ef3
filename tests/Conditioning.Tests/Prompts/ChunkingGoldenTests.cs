using System.Text.Json;
using System.Text.RegularExpressions;
using Conditioning.Prompts;
using Conditioning.Tokenizers;

namespace Conditioning.Tests.Prompts;

public sealed partial class ChunkingGoldenTests
{
    private const string File = "chunking_synthetic.json";

    private static readonly Lazy<ClipTokenizer> Clip = new(() =>
        ClipTokenizer.FromFolder(SharedData.PathOf("tokenizers", "clip-vit-large-patch14")));

    public static IEnumerable<object[]> A1111Cases => PromptVectors.Indices(File, "a1111");

    public static IEnumerable<object[]> ComfyCases => PromptVectors.Indices(File, "comfy");

    [Theory]
    [MemberData(nameof(A1111Cases))]
    public void A1111ChunksMatchTokenizeLine(int index)
    {
        JsonElement c = PromptVectors.Cases(File, "a1111")[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        var vocab = new SyntheticVocabulary();
        IReadOnlyList<WeightedSegment> segments = PromptChunking.Segment(A1111PromptParser.ParseAttention(prompt), vocab.Tokenize);

        (IReadOnlyList<PromptChunk> chunks, int tokenCount) = PromptChunking.ChunkA1111(
            segments, vocab.Bos, vocab.Eos, vocab.Id(","), c.GetProperty("comma_padding_backtrack").GetInt32());

        Assert.Equal(c.GetProperty("token_count").GetInt32(), tokenCount);
        JsonElement[] expected = c.GetProperty("chunks").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, chunks.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].GetProperty("tokens").EnumerateArray().Select(t => t.GetString()), chunks[i].Ids.Select(vocab.Name));
            double[] multipliers = expected[i].GetProperty("multipliers").EnumerateArray().Select(PromptVectors.ReadWeight).ToArray();
            Assert.True(multipliers.Zip(chunks[i].Weights).All(p => PromptVectors.SameBits(p.First, p.Second)), $"chunk {i} multipliers differ");
        }
    }

    [Theory]
    [MemberData(nameof(ComfyCases))]
    public void ComfyChunksMatchTokenizeWithWeights(int index)
    {
        JsonElement c = PromptVectors.Cases(File, "comfy")[index];
        string prompt = c.GetProperty("prompt").GetString()!;
        var vocab = new SyntheticVocabulary();
        IReadOnlyList<WeightedSegment> segments = PromptChunking.Segment(ComfyPromptParser.ParseWeights(prompt), vocab.Tokenize);

        IReadOnlyList<PromptChunk> chunks = PromptChunking.ChunkComfy(segments, vocab.Bos, vocab.Eos, vocab.Eos);

        JsonElement[] expected = c.GetProperty("chunks").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, chunks.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].EnumerateArray().Select(p => p[0].GetString()), chunks[i].Ids.Select(vocab.Name));
            double[] weights = expected[i].EnumerateArray().Select(p => PromptVectors.ReadWeight(p[1])).ToArray();
            Assert.True(weights.Zip(chunks[i].Weights).All(p => PromptVectors.SameBits(p.First, p.Second)), $"chunk {i} weights differ");
        }
    }

    [Fact]
    public void A1111MovesTheTextAfterALateCommaIntoTheNextChunkWithTheRealClipTokenizer()
    {
        ClipTokenizer clip = Clip.Value;
        string prompt = string.Join(' ', Enumerable.Repeat("cat", 70)) + ", (red dog:1.2) on a sofa in the sun";
        var segments = PromptChunking.Segment(A1111PromptParser.ParseAttention(prompt), t => clip.Encode(t, addSpecialTokens: false).Ids);
        int comma = clip.Encode(",", addSpecialTokens: false).Ids.Single();

        (IReadOnlyList<PromptChunk> chunks, int count) = PromptChunking.ChunkA1111(segments, clip.BosId!.Value, clip.EosId, comma);

        Assert.Equal(2, chunks.Count);
        Assert.All(chunks, ch => Assert.Equal(77, ch.Length));
        Assert.Equal(comma, chunks[0].Ids[71]);
        Assert.Equal(clip.EosId, chunks[0].Ids[72]);
        Assert.Equal(clip.Encode("red", addSpecialTokens: false).Ids[0], chunks[1].Ids[1]);
        Assert.Equal(1.2, chunks[1].Weights[1]);
        Assert.Equal(75 + 8, count);
    }

    [Fact]
    public void ComfyMovesAShortWeightedGroupWholeWithTheRealClipTokenizer()
    {
        ClipTokenizer clip = Clip.Value;
        string prompt = string.Join(' ', Enumerable.Repeat("cat", 74)) + " (red dog:1.2)";
        var segments = PromptChunking.Segment(ComfyPromptParser.ParseWeights(prompt), t => clip.Encode(t, addSpecialTokens: false).Ids);

        IReadOnlyList<PromptChunk> chunks = PromptChunking.ChunkComfy(segments, clip.BosId!.Value, clip.EosId, clip.PadId);

        Assert.Equal(2, chunks.Count);
        Assert.Equal(clip.EosId, chunks[0].Ids[75]);
        Assert.Equal([clip.BosId!.Value, .. clip.Encode("red dog", addSpecialTokens: false).Ids, clip.EosId], chunks[1].Ids[..4]);
        Assert.Equal([1.0, 1.2, 1.2, 1.0], chunks[1].Weights[..4]);
    }

    [Fact]
    public void CompelTruncatesToSeventyFiveTokensByDefaultAndSplitsOnRequest()
    {
        ClipTokenizer clip = Clip.Value;
        string prompt = string.Join(' ', Enumerable.Repeat("cat", 100)) + "+";
        ParsedPrompt parsed = new CompelPromptParser().Parse(prompt);
        var segments = PromptChunking.Segment(parsed.Parts[0].Fragments, t => clip.Encode(t, addSpecialTokens: false).Ids);

        PromptChunk single = Assert.Single(PromptChunking.ChunkCompel(segments, clip.BosId!.Value, clip.EosId, clip.PadId));
        Assert.Equal(clip.EosId, single.Ids[76]);
        Assert.All(single.Weights, w => Assert.Equal(1.0, w));

        IReadOnlyList<PromptChunk> split = PromptChunking.ChunkCompel(segments, clip.BosId!.Value, clip.EosId, clip.PadId, truncate: false);
        Assert.Equal(2, split.Count);
        Assert.Equal(1.1, split[1].Weights[25]);
        Assert.Equal(clip.EosId, split[1].Ids[26]);
    }

    [Fact]
    public void CompelSplitsLongPromptsAtSentencesThenPhrasesThenWords()
    {
        ClipTokenizer clip = Clip.Value;
        int Split(string prompt)
        {
            var segments = PromptChunking.Segment(new CompelPromptParser().Parse(prompt).Parts[0].Fragments, t => clip.Encode(t, addSpecialTokens: false).Ids);
            IReadOnlyList<PromptChunk> chunks = PromptChunking.ChunkCompel(segments, clip.BosId!.Value, clip.EosId, clip.PadId, truncate: false, tokenText: clip.IdToToken);
            Assert.True(chunks.Count >= 2);
            return Array.IndexOf(chunks[0].Ids, clip.EosId) - 1;
        }

        // "a red circle ." is 4 tokens: 18 sentences fill 72 tokens, and the 19th would cross 75, so the chunk ends after "." at 72.
        Assert.Equal(72, Split(string.Concat(Enumerable.Repeat("a red circle. ", 30))));

        // Without a full stop, the last comma within 75 ends the chunk ("a red circle," is 4 tokens as well).
        Assert.Equal(72, Split(string.Concat(Enumerable.Repeat("a red circle, ", 30))));

        // Without punctuation, a word end: "zdziszek" is 4 tokens of which only the last ends a word, so the chunk holds
        // whole words only (18 words = 72 tokens; a hard split would cut the 19th word after 3 tokens).
        Assert.Equal(4, clip.Encode("zdziszek", addSpecialTokens: false).Count);
        Assert.Equal(72, Split(string.Join(' ', Enumerable.Repeat("zdziszek", 40))));
    }

    [Fact]
    public void T5IsOneSequenceWithEosTruncatedAndPadded()
    {
        var segments = new[] { new WeightedSegment([10, 11, 12], 1.0), new WeightedSegment([13, 14], 1.5) };

        PromptChunk padded = PromptChunking.ChunkT5(segments, eosId: 1, padId: 0, maxLength: 512, minLength: 8);
        Assert.Equal([10, 11, 12, 13, 14, 1, 0, 0], padded.Ids);
        Assert.Equal([1.0, 1.0, 1.0, 1.5, 1.5, 1.0, 1.0, 1.0], padded.Weights);

        PromptChunk truncated = PromptChunking.ChunkT5(segments, eosId: 1, padId: 0, maxLength: 4);
        Assert.Equal([10, 11, 12, 1], truncated.Ids);
    }

    /// <summary>The reference file's synthetic tokenizer: <c>re.findall(r'[^\s,]+|,', segment)</c>.</summary>
    private sealed partial class SyntheticVocabulary
    {
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal) { ["<BOS>"] = 0, ["<EOS>"] = 1 };
        private readonly List<string> _names = ["<BOS>", "<EOS>"];

        public int Bos => 0;

        public int Eos => 1;

        public int Id(string token)
        {
            if (!_ids.TryGetValue(token, out int id))
            {
                id = _names.Count;
                _ids[token] = id;
                _names.Add(token);
            }

            return id;
        }

        public string Name(int id) => _names[id];

        public IReadOnlyList<int> Tokenize(string text) => Word().Matches(text).Select(m => Id(m.Value)).ToList();

        [GeneratedRegex(@"[^\s,]+|,")]
        private static partial Regex Word();
    }
}
