using System.Text.Json;
using Conditioning.Scoring;

namespace Conditioning.Tests.Scoring;

/// <summary>The randomly initialised tiny CLIP and its PyTorch outputs (Fixtures/tiny-clip-random/make_fixtures.py).</summary>
internal static class RandomTinyClip
{
    public static string Folder => RepoPaths.Of("tests", "Conditioning.Tests", "Fixtures", "tiny-clip-random");

    private static readonly Lazy<JsonDocument> GoldenDoc = new(() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "golden.json"))));

    public static JsonElement Golden => GoldenDoc.Value.RootElement;

    public static string[] Prompts => [.. Golden.GetProperty("prompts").EnumerateArray().Select(e => e.GetString()!)];

    public static string[] Images => [.. Golden.GetProperty("images").EnumerateArray().Select(e => Path.Combine(Folder, "images", e.GetString()!))];

    public static float[][] Rows(string name) =>
        [.. Golden.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray())];

    public static float[] Normalized(float[] v)
    {
        float n = MathF.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / n)];
    }

    public static ClipModel Load(ClipModelOptions? options = null) => ClipModel.FromFolder(Folder, options: options);
}
