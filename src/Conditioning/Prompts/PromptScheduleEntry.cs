namespace Conditioning.Prompts;

/// <summary>
/// One step range of a prompt schedule: the text (after prompt editing) used while the current 1-based sampling
/// step is ≤ <see cref="EndAtStep"/>, and its weighted fragments.
/// </summary>
/// <param name="EndAtStep">The last 1-based step at which this entry is used (<see cref="int.MaxValue"/> for an unscheduled prompt).</param>
/// <param name="Text">The prompt text for this range, before attention parsing.</param>
/// <param name="Fragments">The weighted fragments of <paramref name="Text"/>.</param>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed record PromptScheduleEntry(int EndAtStep, string Text, IReadOnlyList<PromptFragment> Fragments);
