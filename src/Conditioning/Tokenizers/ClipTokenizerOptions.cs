namespace Conditioning.Tokenizers;

/// <summary>
/// Overrides for a <see cref="ClipTokenizer"/>. Unset properties are read from the tokenizer folder's
/// <c>tokenizer_config.json</c> / <c>special_tokens_map.json</c>, falling back to CLIP ViT-L's values.
/// </summary>
public sealed record ClipTokenizerOptions
{
    /// <summary>The padding id (49407 <c>&lt;|endoftext|&gt;</c> for CLIP-L; 0 <c>!</c> for OpenCLIP-G and SD2).</summary>
    public int? PadId { get; init; }

    /// <summary>The padding token as text, looked up in the vocabulary (ignored when <see cref="PadId"/> is set).</summary>
    public string? PadToken { get; init; }

    /// <summary>The context length including BOS and EOS (77 for every CLIP text encoder in use).</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>The most distinct words kept in the per-word BPE cache before it is cleared (default 65,536).</summary>
    public int? CacheCapacity { get; init; }
}
