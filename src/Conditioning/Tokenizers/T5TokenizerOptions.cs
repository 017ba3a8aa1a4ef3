namespace Conditioning.Tokenizers;

/// <summary>Overrides for a <see cref="T5Tokenizer"/>; unset properties come from the folder's files or T5's defaults.</summary>
public sealed record T5TokenizerOptions
{
    /// <summary>The length pipelines pad to (Flux dev 512, Flux schnell and SD3 256). Default 512.</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>
    /// The number of <c>&lt;extra_id_N&gt;</c> sentinel tokens appended to a <c>spiece.model</c> vocabulary
    /// (T5 has 100). Ignored for <c>tokenizer.json</c>, which lists its added tokens.
    /// </summary>
    public int? ExtraIds { get; init; }

    /// <summary>The most distinct words kept in the per-word Viterbi cache before it is cleared (default 65,536).</summary>
    public int? CacheCapacity { get; init; }
}
