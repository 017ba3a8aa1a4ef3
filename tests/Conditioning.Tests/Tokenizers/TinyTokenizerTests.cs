using System.Text.Json;
using Conditioning.Tokenizers;

namespace Conditioning.Tests.Tokenizers;

/// <summary>
/// The embedded models' own tokenizers (models/tiny-clip/tokenizer, models/tiny-t5/tokenizer) load unchanged and
/// agree with the Python trainer's encodings on the whole caption corpus and on odd text.
/// </summary>
public sealed class TinyTokenizerTests
{
    private static readonly Lazy<ClipTokenizer> Clip = new(() => ClipTokenizer.FromFolder(RepoPaths.Of("models", "tiny-clip", "tokenizer")));
    private static readonly Lazy<T5Tokenizer> T5 = new(() => T5Tokenizer.FromFolder(RepoPaths.Of("models", "tiny-t5", "tokenizer")));
    private static readonly Lazy<(string Prompt, int[] Ids)[]> ClipVectors = new(() => Load("tiny-clip"));
    private static readonly Lazy<(string Prompt, int[] Ids)[]> T5Vectors = new(() => Load("tiny-t5"));

    [Fact]
    public void TinyClipTokenizerMatchesThePythonTrainerOnEveryVector()
    {
        var mismatches = ClipVectors.Value.Where(v => !Clip.Value.Encode(v.Prompt).Ids.SequenceEqual(v.Ids)).Select(v => v.Prompt).ToList();
        Assert.True(ClipVectors.Value.Length > 1000, $"only {ClipVectors.Value.Length} vectors");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {ClipVectors.Value.Length} differ, e.g. {string.Join(" | ", mismatches.Take(5))}");
    }

    [Fact]
    public void TinyT5TokenizerMatchesThePythonTrainerOnEveryVector()
    {
        var mismatches = T5Vectors.Value.Where(v => !T5.Value.Encode(v.Prompt).Ids.SequenceEqual(v.Ids)).Select(v => v.Prompt).ToList();
        Assert.True(T5Vectors.Value.Length > 1000, $"only {T5Vectors.Value.Length} vectors");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {T5Vectors.Value.Length} differ, e.g. {string.Join(" | ", mismatches.Take(5))}");
    }

    [Fact]
    public void TinyTokenizersDeclareTheSpecialIdsOfTheirContracts()
    {
        Assert.Equal((654, 655, 655, 77), (Clip.Value.BosId!.Value, Clip.Value.EosId, Clip.Value.PadId, Clip.Value.ModelMaxLength));
        Assert.Equal((0, 1, 2), (T5.Value.PadId, T5.Value.EosId, T5.Value.UnkId));
    }

    private static (string, int[])[] Load(string model)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("models", model, "fixtures", "tokenizer_vectors.json")));
        return [.. doc.RootElement.GetProperty("vectors").EnumerateArray()
            .Select(v => (v.GetProperty("prompt").GetString()!, v.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()))];
    }
}
