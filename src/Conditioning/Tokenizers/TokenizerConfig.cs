using System.Text.Json;

namespace Conditioning.Tokenizers;

/// <summary>Reads the small JSON side files of a Hugging Face tokenizer folder.</summary>
internal static class TokenizerConfig
{
    /// <summary>Parses a JSON file, turning I/O and syntax failures into <see cref="TokenizerLoadException"/>.</summary>
    public static JsonDocument ReadJson(string path)
    {
        if (!File.Exists(path)) throw new TokenizerLoadException(path, "the file does not exist");
        try
        {
            using FileStream stream = File.OpenRead(path);
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerLoadException(path, $"the file is not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerLoadException(path, "the file could not be read: " + e.Message, e);
        }
    }

    /// <summary>Fills unset CLIP options from <c>special_tokens_map.json</c> and <c>tokenizer_config.json</c>.</summary>
    public static ClipTokenizerOptions FillClipOptions(string folder, ClipTokenizerOptions options)
    {
        string? padToken = options.PadToken;
        int? maxLength = options.ModelMaxLength;
        foreach (string name in new[] { "special_tokens_map.json", "tokenizer_config.json" })
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            using JsonDocument doc = ReadJson(path);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) continue;
            padToken ??= TokenContent(doc.RootElement, "pad_token");
            maxLength ??= ModelMaxLength(doc.RootElement);
        }

        return options with { PadToken = padToken, ModelMaxLength = maxLength };
    }

    /// <summary>The model_max_length of a tokenizer_config.json, ignoring transformers' "very large" sentinel.</summary>
    public static int? ModelMaxLength(JsonElement root) =>
        root.TryGetProperty("model_max_length", out JsonElement m) && m.ValueKind == JsonValueKind.Number
            && m.TryGetDouble(out double v) && v is > 0 and < 1_000_000 ? (int)v : null;

    /// <summary>A special token entry that is either a string or an object with <c>content</c>.</summary>
    public static string? TokenContent(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out JsonElement value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out JsonElement c) => c.GetString(),
            _ => null,
        };
    }
}
