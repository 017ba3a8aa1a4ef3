using System.Text.Json;

namespace Conditioning.Tests.Tokenizers;

/// <summary>One reference case from <c>../shared/tokenizers/*_vectors.json</c>.</summary>
internal sealed record TokenizerVector(int Index, string Prompt, string Kind, int[] Ids, int[]? Ids77);

/// <summary>Loads the Hugging Face reference vectors once per file.</summary>
internal static class TokenizerVectors
{
    private static readonly Lazy<TokenizerVector[]> Clip = new(() => Load("clip_vectors.json"));
    private static readonly Lazy<TokenizerVector[]> T5 = new(() => Load("t5_vectors.json"));

    public static TokenizerVector[] ClipCases => Clip.Value;

    public static TokenizerVector[] T5Cases => T5.Value;

    public static IEnumerable<object[]> Indices(TokenizerVector[] cases) => cases.Select(c => new object[] { c.Index });

    private static TokenizerVector[] Load(string file)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("tokenizers", file)));
        var list = new List<TokenizerVector>();
        foreach (JsonElement v in doc.RootElement.GetProperty("vectors").EnumerateArray())
        {
            int[]? ids77 = v.TryGetProperty("ids_77", out JsonElement e) ? e.EnumerateArray().Select(x => x.GetInt32()).ToArray() : null;
            list.Add(new TokenizerVector(
                list.Count,
                v.GetProperty("prompt").GetString()!,
                v.GetProperty("kind").GetString()!,
                v.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                ids77));
        }

        int declared = doc.RootElement.GetProperty("count").GetInt32();
        if (declared != list.Count) throw new InvalidDataException($"{file} declares {declared} vectors but holds {list.Count}");
        return [.. list];
    }
}
