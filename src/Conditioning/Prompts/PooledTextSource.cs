namespace Conditioning.Prompts;

/// <summary>Where a dialect takes the pooled (projected) text embedding from (SDXL <c>text_embeds</c>, Flux <c>pooled_projections</c>).</summary>
public enum PooledTextSource
{
    /// <summary>AUTOMATIC1111 and ComfyUI: the pooled output of the first chunk of the first AND part; weights and later chunks do not affect it.</summary>
    FirstChunk,

    /// <summary>Compel / InvokeAI for SDXL: the raw prompt string, syntax characters included, truncated to 77 tokens and unweighted.</summary>
    RawPrompt,

    /// <summary>Compel for Flux: the fragments' texts joined with single spaces (syntax stripped, weights ignored).</summary>
    JoinedFragments,
}
