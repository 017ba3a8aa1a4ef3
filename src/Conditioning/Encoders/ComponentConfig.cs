using System.Text.Json;

namespace Conditioning.Encoders;

/// <summary>The few fields of a component's <c>config.json</c> (transformers/diffusers) the encoders read.</summary>
internal sealed record ComponentConfig(float? LayerNormEpsilon, int? HiddenSize, int? NumHiddenLayers)
{
    /// <summary>Reads <c>config.json</c> from the folder of <paramref name="modelPath"/>; absent or unreadable gives nulls.</summary>
    public static ComponentConfig Read(string modelPath)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(modelPath));
        string path = Path.Combine(folder ?? ".", "config.json");
        if (!File.Exists(path)) return new(null, null, null);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = doc.RootElement;
            return new(
                root.TryGetProperty("layer_norm_eps", out JsonElement e) && e.ValueKind == JsonValueKind.Number ? e.GetSingle() : null,
                root.TryGetProperty("hidden_size", out JsonElement h) && h.ValueKind == JsonValueKind.Number ? h.GetInt32() : null,
                root.TryGetProperty("num_hidden_layers", out JsonElement l) && l.ValueKind == JsonValueKind.Number ? l.GetInt32() : null);
        }
        catch (JsonException)
        {
            return new(null, null, null);
        }
    }
}
