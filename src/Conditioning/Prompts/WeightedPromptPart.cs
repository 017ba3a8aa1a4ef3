namespace Conditioning.Prompts;

/// <summary>
/// One conjunction part of a <see cref="WeightedPrompt"/>: its weight and its tokenized content per step range
/// (or, for a Compel blend, the chunks of each blended prompt).
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class WeightedPromptPart
{
    /// <summary>Creates a part.</summary>
    /// <param name="weight">The CFG weight (AUTOMATIC1111 AND) or concatenation lerp weight (Compel <c>.and()</c>).</param>
    /// <param name="schedule">The content per step range, ascending by end step; at least one entry.</param>
    /// <param name="blend">The blend, for a Compel blend part.</param>
    /// <param name="blendChunks">The chunks of each blended prompt, parallel to <see cref="PromptBlend.Prompts"/>.</param>
    public WeightedPromptPart(double weight, IReadOnlyList<WeightedPromptStep> schedule, PromptBlend? blend = null, IReadOnlyList<IReadOnlyList<PromptChunk>>? blendChunks = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        Weight = weight;
        Schedule = schedule;
        Blend = blend;
        BlendChunks = blendChunks ?? [];
    }

    /// <summary>The part's weight.</summary>
    public double Weight { get; }

    /// <summary>The tokenized content per step range; one entry without prompt editing.</summary>
    public IReadOnlyList<WeightedPromptStep> Schedule { get; }

    /// <summary>The blend, when this part is a Compel <c>.blend()</c>; otherwise null.</summary>
    public PromptBlend? Blend { get; }

    /// <summary>For a blend, the chunks of each blended prompt; otherwise empty.</summary>
    public IReadOnlyList<IReadOnlyList<PromptChunk>> BlendChunks { get; }

    /// <summary>The step range in use at the 1-based sampling <paramref name="step"/> (the first whose end is ≥ step, else the first).</summary>
    /// <param name="step">The 1-based step.</param>
    /// <returns>The step range.</returns>
    public WeightedPromptStep StepAt(int step)
    {
        foreach (WeightedPromptStep s in Schedule)
        {
            if (step <= s.EndAtStep) return s;
        }

        return Schedule[0];
    }
}
