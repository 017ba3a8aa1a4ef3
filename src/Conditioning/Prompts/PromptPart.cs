namespace Conditioning.Prompts;

/// <summary>
/// One part of a conjunction (an AUTOMATIC1111 <c>AND</c> sub-prompt, a Compel <c>.and()</c> part, or the whole
/// prompt), with its weight and its content per step range.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class PromptPart
{
    /// <summary>Creates a part.</summary>
    /// <param name="text">The part's source text.</param>
    /// <param name="weight">The part's weight (CFG weight for AND, lerp weight for Compel <c>.and()</c>).</param>
    /// <param name="schedule">At least one entry, in ascending <see cref="PromptScheduleEntry.EndAtStep"/> order.</param>
    /// <param name="blend">The blend, when the part is a Compel blend (then <paramref name="schedule"/> holds one entry with no fragments).</param>
    /// <exception cref="ArgumentException"><paramref name="schedule"/> is empty.</exception>
    public PromptPart(string text, double weight, IReadOnlyList<PromptScheduleEntry> schedule, PromptBlend? blend = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(schedule);
        if (schedule.Count == 0)
        {
            throw new ArgumentException("A prompt part needs at least one schedule entry.", nameof(schedule));
        }

        Text = text;
        Weight = weight;
        Schedule = schedule;
        Blend = blend;
    }

    /// <summary>The part's source text (for AND parts, after the weight suffix was removed).</summary>
    public string Text { get; }

    /// <summary>The part's weight; 1 when none was written.</summary>
    public double Weight { get; }

    /// <summary>The content per step range; a single entry when the part has no prompt editing.</summary>
    public IReadOnlyList<PromptScheduleEntry> Schedule { get; }

    /// <summary>The blend, when this part is a Compel <c>.blend()</c>; otherwise null.</summary>
    public PromptBlend? Blend { get; }

    /// <summary>The fragments of the first schedule entry (the whole content when there is no prompt editing).</summary>
    public IReadOnlyList<PromptFragment> Fragments => Schedule[0].Fragments;

    /// <summary>The schedule entry in use at the 1-based sampling <paramref name="step"/>.</summary>
    /// <param name="step">The 1-based step.</param>
    /// <returns>The first entry whose <see cref="PromptScheduleEntry.EndAtStep"/> is ≥ <paramref name="step"/>, else the first entry (as webui's <c>reconstruct_cond_batch</c> does).</returns>
    public PromptScheduleEntry EntryAt(int step)
    {
        foreach (PromptScheduleEntry e in Schedule)
        {
            if (step <= e.EndAtStep) return e;
        }

        return Schedule[0];
    }
}
