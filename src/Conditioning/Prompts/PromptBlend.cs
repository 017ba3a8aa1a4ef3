namespace Conditioning.Prompts;

/// <summary>
/// A Compel <c>(p1, p2, …).blend(w1, w2, …)</c>: the conditioning is the weighted sum of the prompts'
/// conditionings (padded to the same length), with weights divided by their sum when <see cref="Normalize"/> is set.
/// </summary>
/// <param name="Prompts">The blended prompts, each a fragment list.</param>
/// <param name="Weights">One weight per prompt.</param>
/// <param name="Normalize">Whether the weights are divided by their sum (false with <c>no_normalize</c>).</param>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed record PromptBlend(IReadOnlyList<IReadOnlyList<PromptFragment>> Prompts, IReadOnlyList<double> Weights, bool Normalize);
