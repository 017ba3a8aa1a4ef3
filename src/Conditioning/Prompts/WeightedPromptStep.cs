namespace Conditioning.Prompts;

/// <summary>The tokenized content of one step range of a prompt part: encoder-ready chunks with per-token weights.</summary>
/// <param name="EndAtStep">The last 1-based sampling step this content is used at (<see cref="int.MaxValue"/> when unscheduled).</param>
/// <param name="Text">The prompt text of this range.</param>
/// <param name="Chunks">The chunks (77 ids each for CLIP; one sequence for T5).</param>
/// <param name="TokenCount">The content-token count (AUTOMATIC1111's <c>token_count</c>: 75 per closed chunk plus the last chunk's length).</param>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed record WeightedPromptStep(int EndAtStep, string Text, IReadOnlyList<PromptChunk> Chunks, int TokenCount);
