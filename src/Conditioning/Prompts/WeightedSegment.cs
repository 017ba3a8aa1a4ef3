namespace Conditioning.Prompts;

/// <summary>
/// The token ids of one weighted fragment (tokenized on its own, without special tokens), or a chunk break. This is
/// the input every chunker works on, whatever tokenizer produced the ids.
/// </summary>
/// <param name="Ids">The token ids of the fragment; empty for a break.</param>
/// <param name="Weight">The weight every token of the fragment gets.</param>
/// <param name="IsBreak">Whether this is an AUTOMATIC1111 <c>BREAK</c> (close the current chunk).</param>
/// <remarks>Immutable and thread-safe as long as <paramref name="Ids"/> is not mutated.</remarks>
public sealed record WeightedSegment(IReadOnlyList<int> Ids, double Weight, bool IsBreak = false)
{
    /// <summary>A chunk break.</summary>
    public static WeightedSegment Break { get; } = new([], -1.0, true);
}
