namespace Conditioning.Prompts;

/// <summary>
/// A Compel <c>original.swap(edited, …)</c>: cross-attention control that renders <see cref="Original"/> for the
/// structure and <see cref="Edited"/> for the content. Encoders without cross-attention control use
/// <see cref="Original"/>.
/// </summary>
/// <param name="Original">The fragments being replaced.</param>
/// <param name="Edited">The replacement fragments.</param>
/// <param name="Options">The swap's timing options.</param>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed record PromptSwap(IReadOnlyList<PromptFragment> Original, IReadOnlyList<PromptFragment> Edited, PromptSwapOptions Options);
