using System.Text.Json;

namespace Conditioning.Tokenizers;

/// <summary>Loads whichever tokenizer a diffusers/transformers tokenizer folder holds.</summary>
public static class TextTokenizer
{
    /// <summary>
    /// Detects the tokenizer kind from the folder's files and loads it: <c>vocab.json</c> + <c>merges.txt</c> or a
    /// BPE <c>tokenizer.json</c> → <see cref="ClipTokenizer"/>; <c>spiece.model</c> or a Unigram
    /// <c>tokenizer.json</c> → <see cref="T5Tokenizer"/>.
    /// </summary>
    /// <exception cref="TokenizerLoadException">The folder is missing, holds no known tokenizer files, or a file is malformed.</exception>
    public static ITextTokenizer FromFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new TokenizerLoadException(folder, "the tokenizer folder does not exist");
        string json = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt"))) return ClipTokenizer.FromFolder(folder);
        if (File.Exists(json))
        {
            string? type;
            using (JsonDocument doc = TokenizerConfig.ReadJson(json))
            {
                type = doc.RootElement.TryGetProperty("model", out JsonElement m) && m.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
            }

            return type switch
            {
                "BPE" => ClipTokenizer.FromFolder(folder),
                "Unigram" => T5Tokenizer.FromFolder(folder),
                _ => throw new TokenizerLoadException(json, $"expected a BPE (CLIP) or Unigram (T5) model in tokenizer.json, found '{type ?? "none"}'"),
            };
        }

        if (File.Exists(Path.Combine(folder, "spiece.model"))) return T5Tokenizer.FromFolder(folder);
        throw new TokenizerLoadException(folder, "no tokenizer files found: expected vocab.json + merges.txt (CLIP), spiece.model (T5), or tokenizer.json");
    }
}
