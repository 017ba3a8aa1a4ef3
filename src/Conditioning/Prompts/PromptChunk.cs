namespace Conditioning.Prompts;

/// <summary>
/// One fixed-length encoder input: token ids (special tokens and padding included) and the weight of each position.
/// </summary>
/// <param name="Ids">The ids, <c>[BOS] content… [EOS] padding…</c> (77 for CLIP).</param>
/// <param name="Weights">One weight per id; special tokens and padding have weight 1.</param>
/// <remarks>Treat as immutable; safe to share once built.</remarks>
public sealed record PromptChunk(int[] Ids, double[] Weights)
{
    /// <summary>The number of positions.</summary>
    public int Length => Ids.Length;
}
