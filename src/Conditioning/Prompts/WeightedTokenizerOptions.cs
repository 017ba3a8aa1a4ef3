namespace Conditioning.Prompts;

/// <summary>Options for <see cref="WeightedTokenizer"/>; null properties take each dialect's default.</summary>
/// <remarks>Immutable once constructed (init-only); safe to share.</remarks>
public sealed record WeightedTokenizerOptions
{
    /// <summary>AUTOMATIC1111 <c>comma_padding_backtrack</c> (default 20; 0 disables).</summary>
    public int CommaPaddingBacktrack { get; init; } = 20;

    /// <summary>Compel <c>truncate_long_prompts</c> (default true: one 77-token chunk).</summary>
    public bool CompelTruncateLongPrompts { get; init; } = true;

    /// <summary>Compel's pooled text: <see cref="PooledTextSource.RawPrompt"/> (SDXL, the default) or <see cref="PooledTextSource.JoinedFragments"/> (Flux).</summary>
    public PooledTextSource CompelPooledSource { get; init; } = PooledTextSource.RawPrompt;

    /// <summary>For a tokenizer without BOS (T5): the longest sequence (default the tokenizer's <see cref="Tokenizers.ITextTokenizer.ModelMaxLength"/>).</summary>
    public int? T5MaxLength { get; init; }

    /// <summary>For a tokenizer without BOS (T5): pad up to this length (ComfyUI Flux 256, SD3 77; default 0).</summary>
    public int T5MinLength { get; init; }
}
