using System.Text.Json;
using Conditioning.Scoring;

namespace Conditioning.Tests.Scoring;

/// <summary>The trained tiny CLIP (models/tiny-clip) and the shapes-world fixtures it is evaluated on.</summary>
internal static class TrainedTinyClip
{
    public static string Folder => Environment.GetEnvironmentVariable("CONDITIONING_TINY_CLIP") ?? RepoPaths.Of("models", "tiny-clip");

    public static string ShapesFixtures => RepoPaths.Of("models", "shapes-world", "fixtures");

    public static ClipModel Load() => ClipModel.FromFolder(Folder);

    /// <summary>The held-out scenes: file, background, and per object its attributes.</summary>
    public static List<(string File, string Background, Dictionary<string, string>[] Objects)> Scenes()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ShapesFixtures, "ground_truth.json")));
        return [.. doc.RootElement.GetProperty("images").EnumerateArray().Select(e => (
            Path.Combine(ShapesFixtures, e.GetProperty("file").GetString()!),
            e.GetProperty("background").GetString()!,
            e.GetProperty("objects").EnumerateArray()
                .Select(o => o.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!))
                .ToArray()))];
    }

    public static IReadOnlyList<string> Vocabulary(string attribute)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ShapesFixtures, "ground_truth.json")));
        return [.. doc.RootElement.GetProperty("vocabulary").GetProperty(attribute).EnumerateArray().Select(v => v.GetString()!)];
    }

    // models/training/train_clip.py: TEMPLATES and world._POSITION_PHRASES, the prompts its zero-shot numbers use.
    public static readonly Dictionary<string, string[]> Templates = new()
    {
        ["colour"] = ["a {} shape", "a photo of a {} object", "an image of a {} shape"],
        ["shape"] = ["a {}", "a photo of a {}", "there is a {}"],
        ["size"] = ["a {} shape", "a photo of a {} object"],
        ["position"] = ["a shape {}", "a photo of an object {}", "there is a shape {}"],
        ["background"] = ["a shape, {} background", "an object on a {} background"],
    };

    public static readonly Dictionary<string, string[]> PositionPhrases = new()
    {
        ["left"] = ["on the left", "at the left", "to the left"],
        ["right"] = ["on the right", "at the right", "to the right"],
        ["top"] = ["at the top", "near the top", "on the top"],
        ["bottom"] = ["at the bottom", "near the bottom", "on the bottom"],
        ["center"] = ["in the center", "in the middle", "at the center"],
    };

    public static IReadOnlyList<ZeroShotClass> Classes(string attribute) =>
        attribute == "position"
            ? [.. Vocabulary("position").Select(p => new ZeroShotClass(p, [.. Templates["position"].SelectMany(t => PositionPhrases[p].Select(ph => t.Replace("{}", ph, StringComparison.Ordinal)))]))]
            : ZeroShotClass.FromTemplates(Vocabulary(attribute), Templates[attribute]);
}
